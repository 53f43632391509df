package settings

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
)

// MaxDepth is how deep elements may nest in a settings file, the root element counting as 1.
// Holdfast's own keys use 4 levels (BackupSettings, content, attachments, item); the rest is
// room for elements added by hand or by other tools. A deeper file is refused with
// ErrMalformed before it is read any further: nothing Holdfast writes nests that deep.
const MaxDepth = 64

// Parse reads a settings file. It refuses only a file it cannot read (ErrMalformed): not XML,
// another root element, elements nested deeper than MaxDepth. A known key holding a value it
// does not accept is a Problem, and reads as its default; a key that is absent has its default.
// Elements Holdfast does not know are kept as their bytes in the file.
func Parse(data []byte) (*Settings, error) {
	p := &parser{data: data, dec: xml.NewDecoder(bytes.NewReader(data)), s: &Settings{}, line: 1}
	if err := p.run(); err != nil {
		return nil, err
	}
	return p.s, nil
}

// parser reads the tokens of a settings file into its known elements and raw pieces.
type parser struct {
	data  []byte
	dec   *xml.Decoder
	s     *Settings
	open  []frame // the known elements open at this point, the root first
	off   int64   // where the token being handled starts
	line  int     // the line at off
	lastN int64   // the offset up to which newlines were counted into line
}

type frame struct {
	n    *node
	path string
}

func (p *parser) run() error {
	for {
		p.off = p.dec.InputOffset()
		tok, err := p.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			err = p.start(t)
		case xml.EndElement:
			p.open = p.open[:len(p.open)-1]
		case xml.CharData:
			p.text(t)
		case xml.Comment, xml.ProcInst, xml.Directive:
			p.other(tok)
		}
		if err != nil {
			return err
		}
	}
	if p.s.root == nil {
		return fmt.Errorf("%w: the root element must be <%s>", ErrMalformed, rootName)
	}
	return nil
}

// start handles a start tag: a known element is opened, an unknown one is read whole.
func (p *parser) start(t xml.StartElement) error {
	depth := len(p.open) + 1
	if depth > MaxDepth {
		return p.tooDeep()
	}
	if len(p.open) == 0 {
		if p.s.root != nil {
			return p.malformed("more than one root element")
		}
		if t.Name.Local != rootName {
			return fmt.Errorf("%w: the root element must be <%s>, not <%s>", ErrMalformed, rootName, t.Name.Local)
		}
		p.s.root = &node{name: rootName, open: bytes.Clone(p.token()), line: p.lineAt(p.off)}
		p.open = append(p.open, frame{n: p.s.root})
		return nil
	}
	top := p.open[len(p.open)-1]
	path := t.Name.Local
	if top.path != "" {
		path = top.path + "." + path
	}
	if k, known := elementKinds[path]; known {
		n := &node{name: t.Name.Local, kind: k, open: bytes.Clone(p.token()), line: p.lineAt(p.off)}
		top.n.children = append(top.n.children, piece{node: n})
		p.open = append(p.open, frame{n: n, path: path})
		return nil
	}
	start := p.off
	if err := p.skip(depth); err != nil {
		return err
	}
	top.n.children = append(top.n.children, piece{raw: bytes.Clone(p.data[start:p.dec.InputOffset()])})
	return nil
}

// skip reads the rest of an unknown element that starts at depth, keeping to MaxDepth.
func (p *parser) skip(depth int) error {
	for d := depth; d >= depth; {
		tok, err := p.dec.Token()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch tok.(type) {
		case xml.StartElement:
			if d++; d > MaxDepth {
				return p.tooDeep()
			}
		case xml.EndElement:
			d--
		}
	}
	return nil
}

// text keeps the character data of a value element; elsewhere, text that is not only spaces
// is kept as it was (entities and all).
func (p *parser) text(t xml.CharData) {
	if len(p.open) == 0 {
		return
	}
	top := p.open[len(p.open)-1].n
	if top.kind == valueElement {
		top.text += string(t)
		return
	}
	if raw := bytes.TrimSpace(p.token()); len(raw) > 0 {
		top.children = append(top.children, piece{raw: bytes.Clone(raw)})
	}
}

// other keeps comments (and, inside the root, processing instructions and directives) as
// they were. The XML declaration and a DOCTYPE before the root are written anew or dropped.
func (p *parser) other(tok xml.Token) {
	raw := bytes.Clone(p.token())
	switch {
	case len(p.open) > 0:
		top := p.open[len(p.open)-1].n
		top.children = append(top.children, piece{raw: raw})
	case !isComment(tok):
	case p.s.root == nil:
		p.s.prolog = append(p.s.prolog, raw)
	default:
		p.s.epilog = append(p.s.epilog, raw)
	}
}

func isComment(tok xml.Token) bool { _, ok := tok.(xml.Comment); return ok }

// token is the bytes of the token just read.
func (p *parser) token() []byte { return p.data[p.off:p.dec.InputOffset()] }

// lineAt is the line of offset off, which never goes back from one call to the next.
func (p *parser) lineAt(off int64) int {
	p.line += bytes.Count(p.data[p.lastN:off], []byte{'\n'})
	p.lastN = off
	return p.line
}

func (p *parser) malformed(format string, args ...any) error {
	line, _ := p.dec.InputPos()
	return fmt.Errorf("%w: line %d: %s", ErrMalformed, line, fmt.Sprintf(format, args...))
}

func (p *parser) tooDeep() error {
	return p.malformed("elements nest more than %d levels deep (Holdfast's own keys use 4): remove the deeper elements, or put them back into a shallower shape", MaxDepth)
}
