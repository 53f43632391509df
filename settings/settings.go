package settings

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
)

// FileName is where the settings live inside a database folder.
const FileName = "Data/Settings/Backup.4DSettings"

const rootName = "BackupSettings"

// node is one XML element, kept whole so that elements Holdfast does not know survive a rewrite.
type node struct {
	name     string
	attrs    []xml.Attr
	text     string
	children []*node
	comments []string // comments directly inside the element, written before its children
}

// Settings is a database's backup settings.
type Settings struct {
	root *node
}

// New returns settings with every key at its default.
func New() *Settings {
	return &Settings{root: &node{name: rootName, attrs: []xml.Attr{{Name: xml.Name{Local: "version"}, Value: "1"}}}}
}

// Parse reads a settings file. Every known key present must hold a valid value; a key that is
// absent has its default.
func Parse(data []byte) (*Settings, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local, attrs: slices.Clone(t.Attr)}
			if len(stack) == 0 {
				if root != nil {
					return nil, fmt.Errorf("%w: more than one root element", ErrMalformed)
				}
				root = n
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		case xml.Comment:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.comments = append(top.comments, string(t))
			}
		}
	}
	if root == nil || root.name != rootName {
		return nil, fmt.Errorf("%w: the root element must be <%s>", ErrMalformed, rootName)
	}
	s := &Settings{root: root}
	for _, k := range Keys {
		vals, present := s.raw(k)
		if !present {
			continue
		}
		for _, v := range vals {
			if err := k.Check(v); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// Marshal writes the settings as indented XML, every known key included.
func (s *Settings) Marshal() []byte {
	c := s.Clone()
	for _, k := range Keys {
		if _, present := c.raw(k); !present && !k.List {
			c.setRaw(k, []string{k.Default})
		}
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	writeNode(&b, c.root, 0)
	return b.Bytes()
}

func writeNode(b *bytes.Buffer, n *node, depth int) {
	indent := strings.Repeat("  ", depth)
	b.WriteString(indent + "<" + n.name)
	for _, a := range n.attrs {
		b.WriteString(" " + a.Name.Local + `="`)
		xml.EscapeText(b, []byte(a.Value))
		b.WriteString(`"`)
	}
	b.WriteString(">")
	if len(n.children) == 0 && len(n.comments) == 0 {
		xml.EscapeText(b, []byte(strings.TrimSpace(n.text)))
		b.WriteString("</" + n.name + ">\n")
		return
	}
	b.WriteString("\n")
	for _, c := range n.comments {
		b.WriteString(indent + "  <!--" + c + "-->\n")
	}
	for _, c := range n.children {
		writeNode(b, c, depth+1)
	}
	b.WriteString(indent + "</" + n.name + ">\n")
}

// Clone returns a deep copy.
func (s *Settings) Clone() *Settings { return &Settings{root: cloneNode(s.root)} }

func cloneNode(n *node) *node {
	c := &node{name: n.name, attrs: slices.Clone(n.attrs), text: n.text, comments: slices.Clone(n.comments)}
	for _, ch := range n.children {
		c.children = append(c.children, cloneNode(ch))
	}
	return c
}

// find walks the element path of a key; create adds missing elements.
func (s *Settings) find(name string, create bool) *node {
	n := s.root
	for _, part := range strings.Split(name, ".") {
		var next *node
		for _, c := range n.children {
			if c.name == part {
				next = c
				break
			}
		}
		if next == nil {
			if !create {
				return nil
			}
			next = &node{name: part}
			n.children = append(n.children, next)
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
		if c.name == "item" {
			vals = append(vals, strings.TrimSpace(c.text))
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
		if c.name != "item" {
			kept = append(kept, c)
		}
	}
	n.children = kept
	for _, v := range vals {
		n.children = append(n.children, &node{name: "item", text: v})
	}
}

// Get returns a key's value (a list's values joined by newlines; use List for lists).
func (s *Settings) Get(name string) (string, error) {
	k, err := Lookup(name)
	if err != nil {
		return "", err
	}
	vals, present := s.raw(k)
	if !present {
		if k.List {
			return "", nil
		}
		return k.Default, nil
	}
	return strings.Join(vals, "\n"), nil
}

// List returns the values of a list key.
func (s *Settings) List(name string) ([]string, error) {
	k, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	vals, _ := s.raw(k)
	return vals, nil
}

// String returns a key's value; it panics on a key that is not in Keys, a programming error.
func (s *Settings) String(name string) string {
	v, err := s.Get(name)
	if err != nil {
		panic(err)
	}
	return v
}

// Bool returns a boolean key's value.
func (s *Settings) Bool(name string) bool { return s.String(name) == "true" }

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
	vals, _ := s.raw(k)
	if !slices.Contains(vals, val) {
		s.setRaw(k, append(vals, val))
	}
	return nil
}

// Remove deletes a value from a list key; removing a value that is not there is an error.
func (s *Settings) Remove(name, val string) error {
	k, err := s.listKey(name)
	if err != nil {
		return err
	}
	vals, _ := s.raw(k)
	i := slices.Index(vals, val)
	if i < 0 {
		return &ValueError{Key: name, Value: val, Want: "one of its current values (see `settings DB get " + name + "`)"}
	}
	s.setRaw(k, slices.Delete(vals, i, i+1))
	return nil
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
