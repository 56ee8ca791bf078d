// composecheck validates compose files the way `docker compose config` does: with compose-go,
// the Compose Specification's reference loader (schema validation, interpolation, normalisation).
// No Docker engine is needed. Usage: go run ./tools/composecheck docker-compose.yml
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: composecheck FILE")
		os.Exit(2)
	}
	path, err := filepath.Abs(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions([]string{path}, cli.WithOsEnv, cli.WithName("faultline"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "invalid:", err)
		os.Exit(1)
	}
	for _, name := range project.ServiceNames() {
		fmt.Println("service", name)
	}
}
