package tui

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/shoal-bt/shoal/swarm"
)

// Options tune a Model. The zero value shows the swarm list, refreshed
// every second, with the real clock.
type Options struct {
	// Open, if not zero, starts in this torrent's detail view as soon as it
	// shows up in a snapshot (shoal get opens the torrent it fetches).
	Open swarm.InfoHash
	// Refresh is how often the UI polls Engine.Snapshot; 0 means 1 s.
	Refresh time.Duration
	// Now is the clock for "12s ago" and "in 3m"; nil means time.Now.
	// Tests fix it so that views render the same every time.
	Now func() time.Time
	// Clipboard copies text for the user; nil means an OSC 52 sequence to
	// standard output, which most terminals (and tmux with set-clipboard
	// on) turn into a clipboard write, even over ssh.
	Clipboard func(string) error
}

type page int

const (
	pageList page = iota
	pageDetail
)

type mode int

const (
	modeNormal  mode = iota
	modeAdd          // the add-a-torrent input box has focus
	modeFilter       // the list filter input has focus
	modeConfirm      // asking whether to remove a torrent
	modeHelp         // full help over the page
	modeMagnet       // the magnet link of the selected torrent
	modeQR           // the magnet link as a QR code
)

type tab int

const (
	tabPeers tab = iota
	tabPieces
	tabFiles
	tabSources
	tabRates
	numTabs
)

var tabNames = [numTabs]string{"Peers", "Pieces", "Files", "Sources", "Rates"}

// Model is the Bubble Tea model of the whole UI. Create it with New.
type Model struct {
	engine Engine
	clip   func(string) error
	ctx    context.Context
	every  time.Duration
	now    func() time.Time
	keys   *keyMap
	styles *styles
	help   help.Model
	input  textinput.Model

	width, height int
	snap          *swarm.Snapshot
	// sameName holds the names more than one torrent of snap has, which
	// are then told apart by a short infohash.
	sameName map[string]bool
	// hist is a pointer so copies of the Model share it; only Update
	// writes to it, and Bubble Tea calls Update from one goroutine.
	hist *history

	page     page
	mode     mode
	tab      tab
	selected swarm.InfoHash // the list's cursor and the detail's torrent
	pending  swarm.InfoHash // Options.Open, until it appears
	removing swarm.InfoHash // the torrent modeConfirm asks about
	jumpTo   swarm.InfoHash // select this one once a snapshot has it
	adding   int            // adds done whose EventAdded has not come yet

	listTop          int
	peerTop          int
	fileCur, fileTop int

	sortBy      sortKey
	sortDesc    bool
	filter      string
	stateFilter stateFilter

	notes        []note
	eventsClosed bool
}

// note is one line of the status bar.
type note struct {
	at   time.Time
	text string
	bad  bool
}

const maxNotes = 50

// New returns a Model showing engine. It does not call the engine: the
// first snapshot is fetched by Init's Cmd.
func New(engine Engine, opts Options) Model {
	if opts.Refresh <= 0 {
		opts.Refresh = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Clipboard == nil {
		opts.Clipboard = osc52Copy
	}
	in := textinput.New()
	in.Prompt = "> "
	in.CharLimit = 8192 // magnets with many trackers are long
	h := help.New()
	h.ShortSeparator = " · "
	return Model{
		engine:  engine,
		clip:    opts.Clipboard,
		ctx:     context.Background(),
		every:   opts.Refresh,
		now:     opts.Now,
		keys:    defaultKeys(),
		styles:  newStyles(),
		help:    h,
		input:   in,
		width:   80,
		height:  24,
		hist:    newHistory(historyLen),
		pending: opts.Open,
	}
}

// Init fetches the first snapshot at once and starts reading events.
func (m Model) Init() tea.Cmd {
	return tea.Batch(fetchSnapshot(m.engine), waitEvent(m.ctx, m.engine.Events()))
}

// Run shows the UI on the terminal until the user quits or ctx is done.
// NO_COLOR (https://no-color.org) turns colours off.
func Run(ctx context.Context, engine Engine, opts Options) error {
	honourNoColor()
	return run(ctx, engine, opts, tea.WithAltScreen())
}

// honourNoColor drops colours when NO_COLOR is set to anything but "". The
// views never depend on colour alone, so nothing is lost but the colour.
func honourNoColor() {
	if os.Getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
}

// run is Run with the terminal swappable, for tests.
func run(ctx context.Context, engine Engine, opts Options, popts ...tea.ProgramOption) error {
	// Cancelled when the user quits, so the event reader stops reading
	// Engine.Events, which the caller may go on using.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(engine, opts)
	m.ctx = ctx
	_, err := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx)}, popts...)...).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // ctx ended the UI, which is how the caller stops it
	}
	return err
}
