package dht

import (
	"context"
	"log/slog"

	alog "github.com/anacrolix/log"
)

// libHandler forwards anacrolix/dht's log records to our slog logger. The
// library formats its own text and logs routine events (every reply) at
// debug, and treats "no nodes to bootstrap from" as an error even for a
// standalone node, so its errors arrive as info and the rest as debug; our
// own code logs what needs a user's attention.
type libHandler struct{ log *slog.Logger }

func (h libHandler) Handle(r alog.Record) {
	level := slog.LevelDebug
	if !r.Level.LessThan(alog.Error) {
		level = slog.LevelInfo
	}
	ctx := context.Background()
	if !h.log.Enabled(ctx, level) {
		return
	}
	h.log.Log(ctx, level, "DHT library", "text", r.Msg.String())
}

func libLogger(l *slog.Logger) alog.Logger {
	var lg alog.Logger
	lg.SetHandlers(libHandler{l.With("component", "anacrolix/dht")})
	if !l.Enabled(context.Background(), slog.LevelDebug) {
		// Skip building the library's per-packet debug messages at all.
		lg = lg.WithFilterLevel(alog.Error)
	}
	return lg
}
