package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/shoal-bt/shoal/swarm"
)

// Update handles one message. Engine calls run inside Cmds, never here.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		m.input.Width = max(min(msg.Width-4, 76)-8, 10) // inside viewAdd's dialog
		m.clamp()
		return m, nil
	case snapshotMsg:
		m.setSnapshot(msg.snap)
		return m, pollSnapshot(m.engine, m.every)
	case eventMsg:
		ev := swarm.Event(msg)
		text, bad := describe(ev)
		at := ev.Time
		if at.IsZero() {
			at = m.now()
		}
		m.addNote(note{at: at, text: text, bad: bad})
		if ev.Kind == swarm.EventAdded && m.adding > 0 {
			// Most likely the one the user just added: put the cursor on it.
			m.adding--
			m.jumpTo = ev.InfoHash
			m.jump()
		}
		return m, waitEvent(m.ctx, m.engine.Events())
	case eventsClosedMsg:
		m.eventsClosed = true
		return m, nil
	case opDoneMsg:
		if msg.err != nil {
			text := fmt.Sprintf("cannot %s %s: %v", msg.what, msg.name, msg.err)
			if msg.what == "add" {
				// The error first: a magnet link would push it off the line.
				text = fmt.Sprintf("cannot add: %v: %s", msg.err, msg.name)
			}
			m.addNote(note{at: m.now(), text: text, bad: true})
		} else if msg.what == copyWhat {
			m.addNote(note{at: m.now(), text: "copied the magnet link of " + msg.name + " (OSC 52: the terminal must allow clipboard writes)"})
		} else if msg.what == "add" {
			m.adding++
			m.addNote(note{at: m.now(), text: "adding " + msg.name})
		}
		// Success of the rest shows as an Event and in the next snapshot.
		return m, nil
	case tea.KeyMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

func (m *Model) addNote(n note) {
	m.notes = append(m.notes, n)
	if len(m.notes) > maxNotes {
		m.notes = append(m.notes[:0:0], m.notes[len(m.notes)-maxNotes:]...)
	}
}

func (m *Model) setSnapshot(s *swarm.Snapshot) {
	if s == nil {
		return
	}
	if s != m.snap { // the engine hands out the same pointer until it samples again
		m.hist.record(s)
	}
	m.snap = s
	m.sameName = nil
	seen := make(map[string]bool, len(s.Torrents))
	for i := range s.Torrents {
		if n := s.Torrents[i].Name; n != "" {
			if seen[n] && m.sameName == nil {
				m.sameName = map[string]bool{}
			}
			if seen[n] {
				m.sameName[n] = true
			}
			seen[n] = true
		}
	}
	m.jump()
	if m.pending != (swarm.InfoHash{}) {
		if m.torrent(m.pending) != nil {
			m.selected, m.page, m.pending = m.pending, pageDetail, swarm.InfoHash{}
		}
	}
	if m.page == pageDetail && m.torrent(m.selected) == nil {
		m.page = pageList // removed under us
	}
	m.clamp()
}

// jump moves the list cursor to m.jumpTo once the snapshot has it.
func (m *Model) jump() {
	if m.jumpTo != (swarm.InfoHash{}) && m.torrent(m.jumpTo) != nil {
		m.selected, m.jumpTo = m.jumpTo, swarm.InfoHash{}
		m.clamp()
	}
}

// torrent finds ih in the current snapshot.
func (m *Model) torrent(ih swarm.InfoHash) *swarm.TorrentSnapshot {
	if m.snap == nil {
		return nil
	}
	for i := range m.snap.Torrents {
		if m.snap.Torrents[i].InfoHash == ih {
			return &m.snap.Torrents[i]
		}
	}
	return nil
}

// current is the torrent the keys act on: the detail's, or the list's
// cursor. It may be nil.
func (m *Model) current() *swarm.TorrentSnapshot {
	if m.page == pageList {
		vis := m.visible()
		i := m.cursor(vis)
		if i < 0 {
			return nil
		}
		return &m.snap.Torrents[vis[i]]
	}
	return m.torrent(m.selected)
}

func (m Model) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if msg.String() == "ctrl+c" {
		return m, tea.Quit
	}
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && m.mode != modeAdd && m.mode != modeFilter {
		// Bubble Tea v1 delivers runes read together (fast typing, tmux
		// send-keys) as one KeyMsg; as commands they are separate keys.
		var cmds []tea.Cmd
		for _, r := range msg.Runes {
			var tm tea.Model
			var cmd tea.Cmd
			tm, cmd = m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
			m = tm.(Model)
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	}
	switch m.mode {
	case modeAdd:
		switch {
		case key.Matches(msg, k.Submit):
			src := strings.TrimSpace(m.input.Value())
			m.mode = modeNormal
			m.input.Blur()
			m.input.Reset()
			if src == "" {
				return m, nil
			}
			return m, addSource(m.ctx, m.engine, src)
		case key.Matches(msg, k.Cancel):
			m.mode = modeNormal
			m.input.Blur()
			m.input.Reset()
			return m, nil
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	case modeFilter:
		switch {
		case key.Matches(msg, k.Submit):
			m.mode = modeNormal
			m.input.Blur()
			return m, nil
		case key.Matches(msg, k.Cancel):
			m.mode = modeNormal
			m.filter = ""
			m.input.Blur()
			return m, nil
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		m.filter = m.input.Value()
		m.listTop = 0
		m.clamp()
		return m, cmd
	case modeConfirm:
		t := m.torrent(m.removing)
		switch {
		case key.Matches(msg, k.ConfirmKeep), key.Matches(msg, k.ConfirmDelete):
			m.mode = modeNormal
			if t == nil {
				return m, nil
			}
			if m.page == pageDetail {
				m.page = pageList
			}
			return m, removeTorrent(m.engine, t.InfoHash, displayName(t), key.Matches(msg, k.ConfirmDelete))
		case key.Matches(msg, k.No):
			m.mode = modeNormal
		}
		return m, nil
	case modeHelp, modeMagnet, modeQR:
		switch {
		case key.Matches(msg, k.Quit):
			return m, tea.Quit
		case m.mode != modeHelp && key.Matches(msg, k.Copy):
			if t := m.torrent(m.selected); t != nil && t.Magnet != "" {
				return m, copyText(m.clip, copyWhat, displayName(t), t.Magnet)
			}
		case key.Matches(msg, k.Back), key.Matches(msg, k.Help),
			key.Matches(msg, k.Magnet), key.Matches(msg, k.QR), key.Matches(msg, k.Submit):
			m.mode = modeNormal
		}
		return m, nil
	}
	return m.handleNormalKey(msg)
}

func (m Model) handleNormalKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
		return m, nil
	case key.Matches(msg, k.Add):
		m.mode = modeAdd
		m.input.Reset()
		m.input.Placeholder = "magnet:?xt=urn:btih:… or path/to/file.torrent"
		return m, m.input.Focus()
	case key.Matches(msg, k.Pause):
		t := m.current()
		if t == nil {
			return m, nil
		}
		if t.State == swarm.StatePaused {
			return m, resumeTorrent(m.engine, t.InfoHash, displayName(t))
		}
		return m, pauseTorrent(m.engine, t.InfoHash, displayName(t))
	case key.Matches(msg, k.Remove):
		if t := m.current(); t != nil {
			m.removing = t.InfoHash
			m.mode = modeConfirm
		}
		return m, nil
	case key.Matches(msg, k.Magnet), key.Matches(msg, k.QR):
		if t := m.current(); t != nil {
			m.selected = t.InfoHash
			m.mode = modeMagnet
			if key.Matches(msg, k.QR) {
				m.mode = modeQR
			}
		}
		return m, nil
	}
	if m.page == pageList {
		return m.listKey(msg)
	}
	return m.detailKey(msg)
}

func (m Model) listKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	vis := m.visible()
	cur := m.cursor(vis)
	move := func(to int) {
		if len(vis) == 0 {
			return
		}
		to = max(0, min(len(vis)-1, to))
		m.selected = m.snap.Torrents[vis[to]].InfoHash
	}
	page := max(m.bodyHeight()/2, 1)
	switch {
	case key.Matches(msg, k.Up):
		move(cur - 1)
	case key.Matches(msg, k.Down):
		move(cur + 1)
	case key.Matches(msg, k.PageUp):
		move(cur - page)
	case key.Matches(msg, k.PageDown):
		move(cur + page)
	case key.Matches(msg, k.Top):
		move(0)
	case key.Matches(msg, k.Bottom):
		move(len(vis) - 1)
	case key.Matches(msg, k.Open):
		if cur >= 0 {
			m.selected = m.snap.Torrents[vis[cur]].InfoHash
			m.page = pageDetail
			m.peerTop, m.fileCur, m.fileTop = 0, 0, 0
		}
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.input.Reset()
		m.input.Placeholder = "part of a name"
		m.input.SetValue(m.filter)
		return m, m.input.Focus()
	case key.Matches(msg, k.Back):
		m.filter, m.stateFilter = "", filterAll
	case key.Matches(msg, k.Sort):
		m.sortBy = (m.sortBy + 1) % numSortKeys
		m.sortDesc = m.sortBy.defaultDesc()
	case key.Matches(msg, k.SortReverse):
		m.sortDesc = !m.sortDesc
	case key.Matches(msg, k.StateFilter):
		m.stateFilter = (m.stateFilter + 1) % numStateFilters
	}
	m.clamp()
	return m, nil
}

func (m Model) detailKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	t := m.torrent(m.selected)
	switch {
	case key.Matches(msg, k.Back):
		m.page = pageList
		m.clamp()
		return m, nil
	case key.Matches(msg, k.NextTab):
		m.tab = (m.tab + 1) % numTabs
		return m, nil
	case key.Matches(msg, k.PrevTab):
		m.tab = (m.tab + numTabs - 1) % numTabs
		return m, nil
	}
	for i, b := range k.Tabs {
		if key.Matches(msg, b) {
			m.tab = tab(i)
			return m, nil
		}
	}
	if t == nil {
		return m, nil
	}
	page := max(m.bodyHeight()-4, 1)
	step := 0
	switch {
	case key.Matches(msg, k.Up):
		step = -1
	case key.Matches(msg, k.Down):
		step = 1
	case key.Matches(msg, k.PageUp):
		step = -page
	case key.Matches(msg, k.PageDown):
		step = page
	case key.Matches(msg, k.Top):
		step = -1 << 30
	case key.Matches(msg, k.Bottom):
		step = 1 << 30
	}
	switch m.tab {
	case tabPeers:
		m.peerTop = max(0, m.peerTop+step)
	case tabFiles:
		m.fileCur = max(0, min(len(t.Files)-1, m.fileCur+step))
		if m.fileCur < len(t.Files) && m.fileCur >= 0 {
			f := t.Files[m.fileCur]
			p := f.Priority
			switch {
			case key.Matches(msg, k.PrioUp) && p < swarm.PriorityHigh:
				return m, setPriority(m.engine, t.InfoHash, m.fileCur, f.Path, p+1)
			case key.Matches(msg, k.PrioDown) && p > swarm.PrioritySkip:
				return m, setPriority(m.engine, t.InfoHash, m.fileCur, f.Path, p-1)
			case key.Matches(msg, k.Skip):
				if p == swarm.PrioritySkip {
					return m, setPriority(m.engine, t.InfoHash, m.fileCur, f.Path, swarm.PriorityNormal)
				}
				return m, setPriority(m.engine, t.InfoHash, m.fileCur, f.Path, swarm.PrioritySkip)
			}
		}
	}
	m.clamp()
	return m, nil
}
