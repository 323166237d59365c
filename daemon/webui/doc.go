// Package webui is shoal's own web UI: plain HTML, CSS and JavaScript,
// embedded in the binary, with no build step and nothing fetched from
// elsewhere. cmd/shoal mounts Handler at / of the --rpc listener, behind
// the same daemon.Guard as the control API; the page itself only calls
// that API (/v1/torrents, /v1/torrents/{id}, .../pause|resume|remove|set,
// /v1/events), relative to where it was loaded.
//
// # Ownership
//
// The package holds no state: the embedded files are read-only, and
// everything the page shows it asks the daemon for (a poll every second,
// and the event stream to refresh at once when something happens).
package webui
