// Package migrate applies the numbered SQL files of package schema to PostgreSQL and
// ClickHouse, records each applied file (version, name, checksum) in a schema_migrations
// table, and is safe to run any number of times: applied files are skipped, and a file that
// changed after it was applied is an error, never re-run.
package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
)

// Migration is one SQL file.
type Migration struct {
	Version  string // "0001"
	Name     string // "operational"
	SQL      string
	Checksum string // sha256 of SQL, hex
}

var fileName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// Load reads dir of fsys: every file must be named NNNN_name.sql; versions are unique.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations %s: %w", dir, err)
	}
	var out []Migration
	seen := map[string]string{}
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migrations %s: %q is not named NNNN_name.sql", dir, e.Name())
		}
		if prev, ok := seen[m[1]]; ok {
			return nil, fmt.Errorf("migrations %s: version %s used by %s and %s", dir, m[1], prev, e.Name())
		}
		seen[m[1]] = e.Name()
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migrations %s: %w", dir, err)
		}
		sum := sha256.Sum256(body)
		out = append(out, Migration{Version: m[1], Name: m[2], SQL: string(body), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Result says what one run did.
type Result struct {
	Applied []string // "0001_operational", in order
	Skipped int      // already applied, unchanged
}

// pending returns the migrations not in applied (version → checksum), and fails when an
// applied file has changed since.
func pending(all []Migration, applied map[string]string) ([]Migration, int, error) {
	var todo []Migration
	for _, m := range all {
		sum, ok := applied[m.Version]
		switch {
		case !ok:
			todo = append(todo, m)
		case sum != m.Checksum:
			return nil, 0, fmt.Errorf("migration %s_%s changed after it was applied: add a new numbered file instead", m.Version, m.Name)
		}
	}
	return todo, len(all) - len(todo), nil
}
