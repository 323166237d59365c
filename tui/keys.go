package tui

import "github.com/charmbracelet/bubbles/key"

// keyMap is every binding of the UI, built once. Which ones apply depends on
// the page and mode; helpKeys picks the ones the help bar shows.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back, NextTab, PrevTab            key.Binding
	Tabs                                    [numTabs]key.Binding
	Pause, Remove, Add, Filter, Sort, SortReverse,
	StateFilter key.Binding
	Magnet, QR, Copy               key.Binding
	PrioUp, PrioDown, Skip         key.Binding
	Submit, Cancel                 key.Binding
	ConfirmKeep, ConfirmDelete, No key.Binding
	Help, Quit                     key.Binding
}

func defaultKeys() *keyMap {
	k := &keyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:         key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
		Open:        key.NewBinding(key.WithKeys("enter", "right", "l"), key.WithHelp("enter", "details")),
		Back:        key.NewBinding(key.WithKeys("esc", "left", "h", "backspace"), key.WithHelp("esc", "back")),
		NextTab:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
		PrevTab:     key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("S-tab", "prev tab")),
		Pause:       key.NewBinding(key.WithKeys("p", " "), key.WithHelp("p", "pause/resume")),
		Remove:      key.NewBinding(key.WithKeys("d", "delete"), key.WithHelp("d", "remove")),
		Add:         key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		SortReverse: key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
		StateFilter: key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "show only…")),
		Magnet:      key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "magnet")),
		QR:          key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "magnet QR")),
		Copy:        key.NewBinding(key.WithKeys("c", "y"), key.WithHelp("c", "copy")),
		PrioUp:      key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "prio up")),
		PrioDown:    key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "prio down")),
		Skip:        key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "skip")),
		Submit:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")),
		Cancel:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		ConfirmKeep: key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "remove, keep data")),
		ConfirmDelete: key.NewBinding(key.WithKeys("D"),
			key.WithHelp("D", "remove and DELETE data")),
		No:   key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "cancel")),
		Help: key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit: key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
	for i := range k.Tabs {
		n := string(rune('1' + i))
		k.Tabs[i] = key.NewBinding(key.WithKeys(n), key.WithHelp(n, tabNames[i]))
	}
	return k
}

// helpKeys is the help.KeyMap for one moment of the UI.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }

// helpFor lists the bindings that do something right now, most useful first
// so that the short help bar, which drops what does not fit, keeps them.
func (m Model) helpFor() helpKeys { return m.helpIn(m.mode) }

// helpIn is helpFor as if the UI were in mode md.
func (m Model) helpIn(md mode) helpKeys {
	k := m.keys
	switch md {
	case modeAdd, modeFilter:
		return helpKeys{short: []key.Binding{k.Submit, k.Cancel}}
	case modeConfirm:
		return helpKeys{short: []key.Binding{k.ConfirmKeep, k.ConfirmDelete, k.No}}
	case modeMagnet, modeQR:
		return helpKeys{short: []key.Binding{k.Copy, k.Back, k.Quit}}
	case modeHelp:
		return helpKeys{short: []key.Binding{k.Back, k.Quit}}
	}
	nav := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
	act := []key.Binding{k.Pause, k.Remove, k.Add, k.Magnet, k.QR}
	app := []key.Binding{k.Help, k.Quit}
	if m.page == pageList {
		list := []key.Binding{k.Open, k.Filter, k.Sort, k.SortReverse, k.StateFilter}
		return helpKeys{
			short: []key.Binding{k.Up, k.Down, k.Open, k.Pause, k.Add, k.Remove, k.Filter, k.Sort, k.Help, k.Quit},
			full:  [][]key.Binding{nav, list, act, app},
		}
	}
	tabs := []key.Binding{k.NextTab, k.PrevTab, k.Back}
	tabs = append(tabs, k.Tabs[:]...)
	short := []key.Binding{k.NextTab, k.Back}
	full := [][]key.Binding{nav, tabs, act, app}
	if m.tab == tabFiles {
		files := []key.Binding{k.PrioUp, k.PrioDown, k.Skip}
		short = append(short, files...)
		full = append(full, files)
	}
	short = append(short, k.Up, k.Down, k.Pause, k.Remove, k.Magnet, k.Help, k.Quit)
	return helpKeys{short: short, full: full}
}
