package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"holdfast/journal"
)

// CatalogFile is where the structure lives inside a database folder.
const CatalogFile = "Project/catalog.json"

// Field is one typed field of a table.
type Field struct {
	Name string       `json:"name"`
	Type journal.Kind `json:"-"`
}

type fieldJSON struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// MarshalJSON writes the type by name.
func (f Field) MarshalJSON() ([]byte, error) {
	return json.Marshal(fieldJSON{Name: f.Name, Type: f.Type.String()})
}

// UnmarshalJSON reads the type by name.
func (f *Field) UnmarshalJSON(b []byte) error {
	var j fieldJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	k, ok := journal.ParseKind(j.Type)
	if !ok {
		return fmt.Errorf("field %q: unknown type %q (text, integer, real, boolean, date, time, blob)", j.Name, j.Type)
	}
	f.Name, f.Type = j.Name, k
	return nil
}

// Table is a table definition. Journaled is "Include in Log File".
type Table struct {
	Name       string   `json:"name"`
	Fields     []Field  `json:"fields"`
	PrimaryKey []string `json:"primaryKey"`
	Journaled  bool     `json:"journaled"`

	keyIdx []int // field index of each primary key field
}

// FieldIndex returns the index of a field, or -1.
func (t *Table) FieldIndex(name string) int {
	for i, f := range t.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

var namePattern = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}_ ]{0,63}$`)

// CheckName says what is wrong with a table or field name, or nil.
func CheckName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("use 1 to 64 letters, digits, spaces or _, starting with a letter or _")
	}
	return nil
}

// Check says what is wrong with a table definition (what CreateTable would refuse with 2001),
// or nil. t is not changed.
func (t Table) Check() error {
	t.keyIdx = nil
	return t.validate()
}

// validate checks a definition and fills its derived fields.
func (t *Table) validate() error {
	if !namePattern.MatchString(t.Name) {
		return fmt.Errorf("table name %q: use 1 to 64 letters, digits, spaces or _, starting with a letter", t.Name)
	}
	if len(t.Fields) == 0 {
		return fmt.Errorf("table %s has no fields", t.Name)
	}
	seen := map[string]bool{}
	for _, f := range t.Fields {
		if !namePattern.MatchString(f.Name) {
			return fmt.Errorf("field name %q: use 1 to 64 letters, digits, spaces or _, starting with a letter", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("table %s: field %s appears twice", t.Name, f.Name)
		}
		if f.Type == journal.KindNull {
			return fmt.Errorf("table %s: field %s has no type", t.Name, f.Name)
		}
		seen[f.Name] = true
	}
	if len(t.PrimaryKey) == 0 {
		return fmt.Errorf("table %s has no primary key: name one or more fields in primaryKey", t.Name)
	}
	t.keyIdx = t.keyIdx[:0]
	for _, k := range t.PrimaryKey {
		i := t.FieldIndex(k)
		if i < 0 {
			return fmt.Errorf("table %s: primary key field %s is not a field", t.Name, k)
		}
		if t.Fields[i].Type == journal.KindBlob {
			return fmt.Errorf("table %s: a blob field (%s) cannot be part of the primary key", t.Name, k)
		}
		t.keyIdx = append(t.keyIdx, i)
	}
	return nil
}

// Catalog is the structure of a database: its tables.
type Catalog struct {
	Version int      `json:"version"`
	Tables  []*Table `json:"tables"`
}

// Table finds a table by name.
func (c *Catalog) Table(name string) *Table {
	for _, t := range c.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// clone returns a copy that can be changed without touching c (tables are shared until replaced).
func (c *Catalog) clone() *Catalog {
	return &Catalog{Version: c.Version, Tables: append([]*Table(nil), c.Tables...)}
}

func loadCatalog(fsys journal.FS, dir string) (*Catalog, error) {
	path := filepath.Join(dir, CatalogFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Catalog
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, t := range c.Tables {
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return &c, nil
}

func saveCatalog(fsys journal.FS, dir string, c *Catalog) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return journal.WriteFileAtomic(fsys, filepath.Join(dir, CatalogFile), append(data, '\n'), 0o600)
}
