// Package tui is shoal's terminal UI: a Bubble Tea program that shows every
// swarm of an Engine, why it is or is not moving, and lets the user add,
// pause, resume and remove torrents and change file priorities.
//
// The UI reads the engine only through Cmds: it polls Engine.Snapshot on a
// re-armed tick and reads Engine.Events from a re-armed Cmd, so View never
// calls the engine and a slow terminal never slows the engine down.
//
// Run shows it on the terminal:
//
//	err := tui.Run(ctx, engine, tui.Options{Open: ih}) // ih: start in its detail view
//
// Keys: ↑/↓ (j/k) move, enter opens a swarm, tab or 1–5 switch its tabs
// (Peers, Pieces, Files, Sources, Rates), esc goes back, p pauses or
// resumes, d removes (asking first; D also deletes the data), a adds a
// magnet link or .torrent path, / filters, s/S sort, f shows only some
// states, m shows the magnet link and M its QR code (c then copies it
// with OSC 52), +/-/x change a file's priority, ? shows every key, q
// quits. NO_COLOR turns colours off.
package tui
