// Package stream serves the files of a swarm.Session's torrents over HTTP
// while they download, for a media player or a browser: GET and HEAD with
// Range requests (net/http's ServeContent over a swarm.Reader), so a read
// at an offset raises the priority of the pieces under it and of a
// readahead after it, waits for them, and never sends an unverified byte.
//
// A file's URL is /INFOHASH/N/PATH: the infohash in hex, the file's number
// as the snapshot numbers them, and its path (the torrent's name first),
// each component escaped. PATH may be left out; when given it must be the
// file's. Anything else is 404: a path that names no file of a torrent the
// session holds never reaches the disk, whatever it says. A malformed or
// unsatisfiable range is 416, a skipped file 409, a magnet whose info has
// not arrived 503 with Retry-After.
//
// The server is for loopback: Listen defaults to 127.0.0.1 and a free
// port, and the handler answers only requests whose Host is an IP address
// or localhost (a guard against DNS rebinding: a web page that renames its
// host to 127.0.0.1 cannot read the files).
//
// # Ownership
//
// The Handler holds nothing but its configuration. Each request owns the
// swarm.Reader it opens, and closes it when the request ends (the client
// went away, or everything was sent), which gives its priorities up.
package stream
