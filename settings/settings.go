package settings

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strconv"
	"strings"
)

// FileName is where the settings live inside a database folder.
const FileName = "Data/Settings/Backup.4DSettings"

const rootName = "BackupSettings"

// kind is what a known element holds.
type kind uint8

const (
	branchElement kind = iota // the root, or an element on the way to keys (log, scheduler.custom)
	valueElement              // the element of a single-valued key, or an item of a list key
	listElement               // the element of a list key, holding its items
)

// elementKinds maps the dotted path of every element Holdfast knows ("" is the root, "log",
// "log.use", "content.attachments.item") to what it holds.
var elementKinds = func() map[string]kind {
	m := map[string]kind{"": branchElement}
	for _, k := range Keys {
		parts := strings.Split(k.Name, ".")
		for i := 1; i < len(parts); i++ {
			m[strings.Join(parts[:i], ".")] = branchElement
		}
		m[k.Name] = valueElement
		if k.List {
			m[k.Name] = listElement
			m[k.Name+".item"] = valueElement
		}
	}
	return m
}()

// node is one element of the file that Holdfast knows: the root, an element on the path of a
// key, a key's own element, or an item of a list key. Anything else is kept in a raw piece.
type node struct {
	name     string
	kind     kind
	open     []byte // the start tag as it was in the file (attributes and all); nil: <name>
	text     string // the character data directly inside a value element, decoded
	line     int    // the line of the start tag in the parsed file (0: not read from a file)
	children []piece
}

// piece is a child of a known element: a known element, or the bytes of anything else exactly
// as they were in the file (an unknown element with all it holds, a comment, stray text).
type piece struct {
	node *node
	raw  []byte
}

// Settings is a database's backup settings.
type Settings struct {
	root           *node
	prolog, epilog [][]byte // comments before and after the root element, as they were
}

// New returns settings with every key at its default.
func New() *Settings {
	return &Settings{root: &node{name: rootName, open: []byte(`<` + rootName + ` version="1">`)}}
}

// Marshal writes the settings as indented XML, every known key included. Elements Holdfast
// does not know, and comments, are written back byte for byte as they were read.
func (s *Settings) Marshal() []byte {
	c := s.Clone()
	for _, k := range Keys {
		if c.find(k.Name, false) == nil && !k.List {
			c.setRaw(k, []string{k.Default})
		}
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	for _, r := range c.prolog {
		b.Write(r)
		b.WriteByte('\n')
	}
	writeNode(&b, c.root, 0)
	for _, r := range c.epilog {
		b.Write(r)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// writeNode writes a value element on one line, and any other element with its children one
// level deeper. Known elements nest at most 4 deep, so the indentation costs little.
func writeNode(b *bytes.Buffer, n *node, depth int) {
	indent := strings.Repeat("  ", depth)
	b.WriteString(indent)
	b.Write(n.startTag())
	if n.kind == valueElement || len(n.children) == 0 {
		xml.EscapeText(b, []byte(strings.TrimSpace(n.text)))
		for _, c := range n.children {
			b.Write(c.raw)
		}
		b.WriteString("</" + n.name + ">\n")
		return
	}
	b.WriteString("\n")
	for _, c := range n.children {
		if c.node != nil {
			writeNode(b, c.node, depth+1)
			continue
		}
		b.WriteString(indent + "  ")
		b.Write(c.raw)
		b.WriteString("\n")
	}
	b.WriteString(indent + "</" + n.name + ">\n")
}

// startTag is the element's start tag as it was read (a self-closing one opened), or <name>.
func (n *node) startTag() []byte {
	if n.open == nil {
		return []byte("<" + n.name + ">")
	}
	if t, ok := bytes.CutSuffix(n.open, []byte("/>")); ok {
		return append(bytes.TrimRight(t, " \t\r\n"), '>')
	}
	return n.open
}

// Clone returns a deep copy.
func (s *Settings) Clone() *Settings {
	return &Settings{root: cloneNode(s.root), prolog: slices.Clone(s.prolog), epilog: slices.Clone(s.epilog)}
}

// cloneNode copies the known elements; raw pieces are never changed, so they are shared.
func cloneNode(n *node) *node {
	c := *n
	c.children = slices.Clone(n.children)
	for i, ch := range c.children {
		if ch.node != nil {
			c.children[i].node = cloneNode(ch.node)
		}
	}
	return &c
}

// child is n's first known child element of that name.
func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.node != nil && c.node.name == name {
			return c.node
		}
	}
	return nil
}

// find walks the element path of a key; create adds missing elements.
func (s *Settings) find(name string, create bool) *node {
	n := s.root
	parts := strings.Split(name, ".")
	for i, part := range parts {
		next := n.child(part)
		if next == nil {
			if !create {
				return nil
			}
			next = &node{name: part, kind: elementKinds[strings.Join(parts[:i+1], ".")]}
			n.children = append(n.children, piece{node: next})
		}
		n = next
	}
	return n
}

// raw returns the stored values of a key and whether the key is present in the file.
func (s *Settings) raw(k Key) ([]string, bool) {
	n := s.find(k.Name, false)
	if n == nil {
		return nil, false
	}
	if !k.List {
		return []string{strings.TrimSpace(n.text)}, true
	}
	var vals []string
	for _, c := range n.children {
		if c.node != nil && c.node.name == "item" {
			vals = append(vals, strings.TrimSpace(c.node.text))
		}
	}
	return vals, true
}

func (s *Settings) setRaw(k Key, vals []string) {
	n := s.find(k.Name, true)
	if !k.List {
		n.text = vals[0]
		return
	}
	kept := n.children[:0]
	for _, c := range n.children {
		if c.node == nil || c.node.name != "item" {
			kept = append(kept, c)
		}
	}
	n.children = kept
	for _, v := range vals {
		n.children = append(n.children, piece{node: &node{name: "item", kind: valueElement, text: v}})
	}
}

// Get returns a key's value as it reads (a list's values joined by newlines): its value in the
// file, or its default when it is absent or not valid (see Problems). Work reads a snapshot of
// every key instead (Values); Get is for what shows or edits the keys one by one.
func (s *Settings) Get(k Key) string { return strings.Join(s.read(k), "\n") }

// Raw returns a key's values as they are in the file, those that are not valid included, and
// whether the key is there: what a window shows for the user to fix.
func (s *Settings) Raw(k Key) ([]string, bool) { return s.raw(k) }

// read returns the values of a key as it reads. A key whose value in the file is not valid
// reads as its default: none for a list.
func (s *Settings) read(k Key) []string {
	vals, present := s.raw(k)
	if !present || len(s.problems(k)) > 0 {
		if k.List {
			return nil
		}
		return []string{k.Default}
	}
	return vals
}

// problems checks the values of one key as they are in the file.
func (s *Settings) problems(k Key) []Problem {
	n := s.find(k.Name, false)
	if n == nil {
		return nil
	}
	var out []Problem
	check := func(n *node) {
		if v := strings.TrimSpace(n.text); k.Check(v) != nil {
			out = append(out, Problem{Key: k.Name, Value: v, Line: n.line, Want: k.Want, Default: k.Default, List: k.List})
		}
	}
	if !k.List {
		check(n)
		return out
	}
	for _, c := range n.children {
		if c.node != nil && c.node.name == "item" {
			check(c.node)
		}
	}
	return out
}

// Problems lists the keys whose values in the file are not valid, in the order of the file.
// Each reads as its default until it is replaced (Set, or Remove for a list's value).
func (s *Settings) Problems() []Problem {
	var out []Problem
	for _, k := range Keys {
		out = append(out, s.problems(k)...)
	}
	slices.SortStableFunc(out, func(a, b Problem) int { return a.Line - b.Line })
	return out
}

// Need returns a BadValues error naming each of the keys that holds a value that is not valid
// in the file, or nil. Work calls it with the keys it needs (OpenKeys, BackupKeys,
// ScheduleKeys) before it starts, on the snapshot it runs by (Values.Need).
func (s *Settings) Need(names ...string) error { return need(s.Problems(), names) }

func need(problems []Problem, names []string) error {
	var bad BadValues
	for _, p := range problems {
		if slices.Contains(names, p.Key) {
			bad = append(bad, p)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return bad
}

// Set validates and sets a single-valued key; for a list key it replaces the whole list.
func (s *Settings) Set(name string, vals ...string) error {
	k, err := Lookup(name)
	if err != nil {
		return err
	}
	if !k.List && len(vals) != 1 {
		return &ValueError{Key: name, Value: strings.Join(vals, " "), Want: "exactly one value: " + k.Want}
	}
	for _, v := range vals {
		if err := k.Check(v); err != nil {
			return err
		}
	}
	s.setRaw(k, vals)
	return nil
}

// Add appends a value to a list key; a value already there is not added twice.
func (s *Settings) Add(name, val string) error {
	k, err := s.listKey(name)
	if err != nil {
		return err
	}
	if err := k.Check(val); err != nil {
		return err
	}
	if vals, _ := s.raw(k); !slices.Contains(vals, val) {
		n := s.find(k.Name, true)
		n.children = append(n.children, piece{node: &node{name: "item", kind: valueElement, text: val}})
	}
	return nil
}

// Remove deletes a value from a list key, a value that is not valid included; removing a value
// that is not there is an error.
func (s *Settings) Remove(name, val string) error {
	k, err := s.listKey(name)
	if err != nil {
		return err
	}
	if n := s.find(k.Name, false); n != nil {
		for i, c := range n.children {
			if c.node != nil && c.node.name == "item" && strings.TrimSpace(c.node.text) == val {
				n.children = slices.Delete(n.children, i, i+1)
				return nil
			}
		}
	}
	return &ValueError{Key: name, Value: val, Want: "one of its current values (see `settings DB get " + name + "`)"}
}

func (s *Settings) listKey(name string) (Key, error) {
	k, err := Lookup(name)
	if err != nil {
		return k, err
	}
	if !k.List {
		return k, &ValueError{Key: name, Value: "", Want: "a list key for add/remove; use set for it"}
	}
	return k, nil
}

// SetLogUse sets log.use. The log keys change with the log itself (engine.DB.StartLog,
// StopLog), never with the other settings (LogKeys).
func (s *Settings) SetLogUse(on bool) {
	s.setRaw(mustLookup("log.use"), []string{strconv.FormatBool(on)})
}

// SetLogPath validates and sets log.path (see SetLogUse).
func (s *Settings) SetLogPath(path string) error { return s.Set("log.path", path) }

// Hook is a command of the settings (hooks.onStartup, hooks.onShutdown).
type Hook struct{ Key, Command string }

// ClearHooks empties the hook commands and returns those that were set, as the file held them
// (a command that is not valid is cleared too: nothing of it may run).
func (s *Settings) ClearHooks() []Hook {
	var was []Hook
	for _, name := range []string{"hooks.onStartup", "hooks.onShutdown"} {
		k := mustLookup(name)
		if vals, _ := s.raw(k); len(vals) == 1 && vals[0] != "" {
			was = append(was, Hook{Key: name, Command: vals[0]})
			s.setRaw(k, []string{""})
		}
	}
	return was
}

// CopyKeys gives the named keys of s the elements they have in from, as they are in its file:
// a value that is not valid is copied as it was written, and a key that from lacks is removed.
func (s *Settings) CopyKeys(from *Settings, names ...string) {
	for _, name := range names {
		last := name[strings.LastIndex(name, ".")+1:]
		if p := s.parent(name, false); p != nil {
			p.children = slices.DeleteFunc(p.children, func(c piece) bool { return c.node != nil && c.node.name == last })
		}
		if n := from.find(name, false); n != nil {
			p := s.parent(name, true)
			p.children = append(p.children, piece{node: cloneNode(n)})
		}
	}
}

// SameKeys reports whether the named keys hold the same text in s and o, as in their files
// (an absent key as its default).
func (s *Settings) SameKeys(o *Settings, names ...string) bool {
	for _, name := range names {
		k := mustLookup(name)
		if !slices.Equal(s.written(k), o.written(k)) {
			return false
		}
	}
	return true
}

// written is what the file says of a key: its values as they are there, or its default.
func (s *Settings) written(k Key) []string {
	if vals, ok := s.raw(k); ok {
		return vals
	}
	if k.List {
		return nil
	}
	return []string{k.Default}
}

// parent is the element that holds a key's element (the root for a key without a dot).
func (s *Settings) parent(name string, create bool) *node {
	i := strings.LastIndex(name, ".")
	if i < 0 {
		return s.root
	}
	return s.find(name[:i], create)
}

// mustLookup is Lookup of a key this package names itself.
func mustLookup(name string) Key {
	k, err := Lookup(name)
	if err != nil {
		panic(err)
	}
	return k
}
