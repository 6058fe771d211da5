package app

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"madoguchi/app/session"
	"madoguchi/cardio"
)

// The embedded default keeps its emulated cards in <data folder>/cards, so
// that a card survives the application's restart the way a plastic card
// survives a crash of the counter PC: the card in the reader as
// in-reader.card, cards taken out as <name>.card. These files are the
// emulated cards' own memory (the PIN included, as on a card); they exist
// only with the emulated reader, never with real cards.
const (
	cardExt    = ".card"
	inReader   = "in-reader" + cardExt
	cardsDirNm = "cards"
)

func (c *Counter) cardsDir() string { return filepath.Join(c.dataDir(), cardsDirNm) }

// persistCards is whether emulated cards are kept across runs.
func (c *Counter) persistCards() bool { return c.emu != nil && c.cfg.Demo }

// restoreCard puts back into the reader the card that was in it when the
// counter last stopped.
func (c *Counter) restoreCard() error {
	p := filepath.Join(c.cardsDir(), inReader)
	emu, err := cardio.LoadEmulatorFile(p, cardio.EmulatorOptions{})
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &SetupError{What: "emulated card " + p, Err: err}
	}
	return c.emu.Insert(emu)
}

// saveCardInReader records the memory of the card in the reader (or that
// the reader is empty).
func (c *Counter) saveCardInReader() error {
	if !c.persistCards() {
		return nil
	}
	if err := os.MkdirAll(c.cardsDir(), 0o700); err != nil {
		return err
	}
	p := filepath.Join(c.cardsDir(), inReader)
	emu := c.emu.Card()
	if emu == nil {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return emu.SaveFile(p)
}

// savingHooks saves the card in the reader at every commit, before and
// after, then runs the given hooks: the card's memory on disk always
// matches a committed session state or the step just before its commit.
func (c *Counter) savingHooks(h session.Hooks) session.Hooks {
	wrap := func(next func(string, session.State) error) func(string, session.State) error {
		return func(id string, to session.State) error {
			if err := c.saveCardInReader(); err != nil {
				c.log.Warn("cannot save the emulated card", "err", err)
			}
			if next != nil {
				return next(id, to)
			}
			return nil
		}
	}
	return session.Hooks{BeforeCommit: wrap(h.BeforeCommit), AfterCommit: wrap(h.AfterCommit)}
}

// RemoveCard takes the card out of the demo reader. In the embedded
// default the card is kept under a name (SavedCards) to be inserted again
// later, also after a restart.
func (c *Counter) RemoveCard() (*cardio.Emulator, error) {
	if c.emu == nil {
		return nil, ErrNotEmulated
	}
	emu := c.emu.Remove()
	if emu == nil || !c.persistCards() {
		return emu, nil
	}
	name := "card-" + time.Now().Format("20060102-150405.000")
	if err := emu.SaveFile(filepath.Join(c.cardsDir(), name+cardExt)); err != nil {
		return emu, err
	}
	return emu, c.saveCardInReader()
}

// SavedCards lists the demo cards taken out of the reader, oldest first.
func (c *Counter) SavedCards() ([]string, error) {
	if !c.persistCards() {
		return nil, nil
	}
	entries, err := os.ReadDir(c.cardsDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, cardExt) && n != inReader {
			names = append(names, strings.TrimSuffix(n, cardExt))
		}
	}
	sort.Strings(names)
	return names, nil
}

// InsertSavedCard puts a card listed by SavedCards back into the reader.
func (c *Counter) InsertSavedCard(name string) error {
	if !c.persistCards() {
		return ErrNotEmulated
	}
	if strings.ContainsAny(name, `/\`) {
		return os.ErrNotExist
	}
	p := filepath.Join(c.cardsDir(), name+cardExt)
	emu, err := cardio.LoadEmulatorFile(p, cardio.EmulatorOptions{})
	if err != nil {
		return err
	}
	if err := c.emu.Insert(emu); err != nil {
		return err
	}
	if err := c.saveCardInReader(); err != nil {
		return err
	}
	return os.Remove(p)
}
