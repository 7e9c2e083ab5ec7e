// Command gendashboards writes the dashboards of package dashboards as JSON files, one per
// dashboard named <uid>.json, into dashboards/json (or -out), and removes the JSON files there
// that no dashboard generates any more. Run it from the repository root after changing a
// dashboard:
//
//	go run ./dashboards/cmd/gendashboards
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flavortrend/flavortrend/dashboards"
)

func main() {
	out := flag.String("out", filepath.Join("dashboards", "json"), "directory to write the dashboards to")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gendashboards:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := dashboards.Generate()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	keep := make(map[string]bool, len(files))
	for _, f := range files {
		keep[f.Name] = true
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.JSON, 0o644); err != nil {
			return err
		}
	}
	stale, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	for _, path := range stale {
		if !keep[filepath.Base(path)] {
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	fmt.Printf("wrote %d dashboards to %s\n", len(files), dir)
	return nil
}
