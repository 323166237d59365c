// Package tui is shoal's terminal UI: a Bubble Tea program that shows every
// swarm of an Engine, why it is or is not moving, and lets the user add,
// pause, resume and remove torrents and change file priorities.
//
// The UI reads the engine only through Cmds: it polls Engine.Snapshot on a
// re-armed tick and reads Engine.Events from a re-armed Cmd, so View never
// calls the engine and a slow terminal never slows the engine down.
package tui
