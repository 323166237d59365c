package tui

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/mdp/qrterminal/v3"
	"github.com/shoal-bt/shoal/swarm"
)

// qrLines renders text as a QR code in half blocks: two modules per
// terminal row, so a typical magnet fits in 24 rows.
func qrLines(text string) []string {
	var buf bytes.Buffer
	qrterminal.GenerateWithConfig(text, qrterminal.Config{
		Level:          qrterminal.L, // the screen is clean; favour a smaller code
		Writer:         &buf,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      2,
	})
	return strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
}

// shortMagnet keeps only the infohash and maybe the name: trackers make a magnet
// too long for a QR code on a small terminal, and DHT or PEX find peers
// without them.
func shortMagnet(magnet string, withName bool) string {
	u, err := url.Parse(magnet)
	if err != nil {
		return magnet
	}
	q := u.Query()
	out := "magnet:?xt=" + q.Get("xt")
	if dn := q.Get("dn"); dn != "" && withName {
		out += "&dn=" + url.QueryEscape(dn)
	}
	return out
}

func (m *Model) viewQR(t *swarm.TorrentSnapshot, h int) []string {
	s := m.styles
	title := s.Title.Render(" Magnet link of " + displayName(t))
	if t.Magnet == "" {
		return []string{title, "", s.Dim.Render(" No magnet link yet.")}
	}
	fits := func(ls []string) bool {
		return len(ls) <= h-1 && ansi.StringWidth(ls[0]) <= m.width
	}
	note := ""
	code := qrLines(t.Magnet)
	if !fits(code) {
		if short := shortMagnet(t.Magnet, true); short != t.Magnet {
			code = qrLines(short)
			note = " (trackers left out to fit)"
		}
	}
	if !fits(code) {
		code = qrLines(shortMagnet(t.Magnet, false))
		note = " (infohash only, to fit)"
	}
	if !fits(code) {
		return []string{title, "", clip(fmt.Sprintf(" The QR code needs %d×%d cells; make the terminal bigger.",
			ansi.StringWidth(code[0]), len(code)+1), m.width)}
	}
	lines := []string{clip(title+s.Dim.Render(note), m.width)}
	pad := strings.Repeat(" ", max((m.width-ansi.StringWidth(code[0]))/2, 0))
	for _, l := range code {
		lines = append(lines, pad+l)
	}
	return lines
}
