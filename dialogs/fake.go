package dialogs

import (
	"errors"
	"sync"
)

// Fake answers from a script, for tests: each call takes the next answer and is recorded.
// With no answer left, a call is cancelled. Hold, when set, makes each call wait for a value
// on it before answering, so that a test can see a dialog "open".
type Fake struct {
	mu      sync.Mutex
	answers []FakeAnswer
	Calls   []FakeCall
	Hold    chan struct{}
}

// FakeAnswer is a path or an error.
type FakeAnswer struct {
	Path string
	Err  error
}

// FakeCall is what a call asked for.
type FakeCall struct {
	Kind, Title, Start, Name string // Kind: "open", "save" or "folder"
	Filters                  []Filter
}

// Answer queues answers.
func (f *Fake) Answer(a ...FakeAnswer) {
	f.mu.Lock()
	f.answers = append(f.answers, a...)
	f.mu.Unlock()
}

// Choose queues a chosen path; Cancel queues a cancel.
func (f *Fake) Choose(path string) { f.Answer(FakeAnswer{Path: path}) }
func (f *Fake) Cancel()            { f.Answer(FakeAnswer{Err: ErrCancelled}) }

// Recorded returns the calls made so far.
func (f *Fake) Recorded() []FakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeCall(nil), f.Calls...)
}

func (f *Fake) next(c FakeCall) (string, error) {
	f.mu.Lock()
	f.Calls = append(f.Calls, c)
	hold := f.Hold
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.answers) == 0 {
		return "", ErrCancelled
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	if a.Err == nil && a.Path == "" {
		return "", errors.New("dialogs: fake answer without a path")
	}
	return a.Path, a.Err
}

func (f *Fake) OpenFile(title, start string, filters ...Filter) (string, error) {
	return f.next(FakeCall{Kind: "open", Title: title, Start: start, Filters: filters})
}

func (f *Fake) SaveFile(title, start, name string, filters ...Filter) (string, error) {
	return f.next(FakeCall{Kind: "save", Title: title, Start: start, Name: name, Filters: filters})
}

func (f *Fake) Folder(title, start string) (string, error) {
	return f.next(FakeCall{Kind: "folder", Title: title, Start: start})
}
