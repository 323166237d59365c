package transmission

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// target is one torrent a call acts on.
type target struct {
	id         int
	t          *swarm.TorrentSnapshot
	lastActive time.Time
}

// selection is what an "ids" argument names, in id order, and the ids it
// named that match no torrent.
type selection struct {
	targets []target
	missing []string
	removed []int // for "recently-active": ids removed lately
}

// selectTorrents resolves ids (nil: every torrent) against the latest
// snapshot, and notes what changed since the last call.
func (h *Handler) selectTorrents(ids *idSet) selection {
	snap := h.b.Snapshot()
	nums := make([]int, len(snap.Torrents))
	for i := range snap.Torrents {
		nums[i] = h.b.ID(snap.Torrents[i].InfoHash)
	}
	now := time.Now()
	var sel selection

	h.mu.Lock()
	h.sweep++
	recs := h.activity.update(snap.Torrents, nums, now, h.sweep)
	// Copied under the lock: another call's update writes the records.
	recent := make([]bool, len(recs))
	lastActive := make([]time.Time, len(recs))
	for i, s := range recs {
		recent[i], lastActive[i] = h.activity.recent(s, now), s.lastActive
	}
	if ids != nil && ids.recent {
		sel.removed = h.activity.removedIDs()
	}
	h.mu.Unlock()

	present := make(map[int]bool, len(nums))
	for _, n := range nums {
		present[n] = true
	}
	sel.removed = slices.DeleteFunc(sel.removed, func(id int) bool { return present[id] })
	slices.Sort(sel.removed)

	var wantNum map[int]bool
	var wantHash map[swarm.InfoHash]bool
	if ids != nil {
		wantNum = make(map[int]bool, len(ids.nums))
		for _, n := range ids.nums {
			wantNum[n] = true
		}
		wantHash = make(map[swarm.InfoHash]bool, len(ids.hashes))
		for _, hs := range ids.hashes {
			wantHash[hs] = true
		}
	}
	found := make(map[int]bool)
	for i := range snap.Torrents {
		t := &snap.Torrents[i]
		if nums[i] == 0 {
			continue // the daemon has not numbered it yet
		}
		if ids != nil && !(ids.recent && recent[i]) && !wantNum[nums[i]] && !wantHash[t.InfoHash] {
			continue
		}
		found[nums[i]] = true
		sel.targets = append(sel.targets, target{id: nums[i], t: t, lastActive: lastActive[i]})
	}
	slices.SortFunc(sel.targets, func(a, b target) int { return cmp.Compare(a.id, b.id) })
	if ids != nil {
		for _, n := range ids.nums {
			if !found[n] {
				sel.missing = append(sel.missing, fmt.Sprint(n))
			}
		}
		for _, hs := range ids.hashes {
			if ok := slices.ContainsFunc(sel.targets, func(tg target) bool { return tg.t.InfoHash == hs }); !ok {
				sel.missing = append(sel.missing, hex.EncodeToString(hs[:]))
			}
		}
	}
	return sel
}

func (s selection) missingErr() error {
	if len(s.missing) == 0 {
		return nil
	}
	return fmt.Errorf("no torrent has id %s", strings.Join(s.missing, ", "))
}

type idsArgs struct {
	IDs *idSet `json:"ids"`
}

// forEach runs f on every torrent the arguments' "ids" name.
func (h *Handler) forEach(raw []byte, f func(swarm.InfoHash) error) error {
	var a idsArgs
	if err := decodeArgs(raw, &a); err != nil {
		return err
	}
	sel := h.selectTorrents(a.IDs)
	var errs []error
	for _, tg := range sel.targets {
		if err := f(tg.t.InfoHash); err != nil {
			errs = append(errs, fmt.Errorf("torrent %d: %w", tg.id, err))
		}
	}
	return joinErrs(append(errs, sel.missingErr()))
}

// joinErrs makes one result string of several errors.
func joinErrs(errs []error) error {
	var msgs []string
	for _, err := range errs {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

type removeArgs struct {
	IDs        *idSet `json:"ids"`
	DeleteData bool   `json:"delete-local-data"`
}

func (h *Handler) torrentRemove(raw []byte) error {
	var a removeArgs
	if err := decodeArgs(raw, &a); err != nil {
		return err
	}
	sel := h.selectTorrents(a.IDs)
	var errs []error
	for _, tg := range sel.targets {
		if err := h.b.Remove(tg.t.InfoHash, a.DeleteData); err != nil {
			errs = append(errs, fmt.Errorf("torrent %d: %w", tg.id, err))
			continue
		}
		h.mu.Lock()
		h.activity.noteRemoved(tg.id, time.Now())
		h.mu.Unlock()
	}
	return joinErrs(append(errs, sel.missingErr()))
}

type getArgs struct {
	IDs    *idSet   `json:"ids"`
	Fields []string `json:"fields"`
	Format string   `json:"format"`
}

// torrentGet encodes its rows itself: names are the keys' names, those
// of the style the method was called in.
func (h *Handler) torrentGet(raw []byte, names keyNames) (any, error) {
	var a getArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if len(a.Fields) == 0 {
		return nil, errors.New(`torrent-get needs "fields": the keys to return`)
	}
	if a.Format != "" && a.Format != "objects" && a.Format != "table" {
		return nil, fmt.Errorf(`"format" must be "objects" or "table", not %q`, truncate(a.Format, 32))
	}
	var keys []string
	seen := make(map[string]bool, len(a.Fields))
	for _, f := range a.Fields {
		f = canonicalField(f)
		switch {
		case seen[f] || unknownFields[f]:
		case fields[f] == nil:
			return nil, fmt.Errorf("unknown field %q in torrent-get", truncate(f, 64))
		default:
			keys = append(keys, f)
		}
		seen[f] = true
	}
	sel := h.selectTorrents(a.IDs)
	now := time.Now()
	// Rows are encoded straight into one buffer: with 10,000 torrents,
	// building an object per torrent first cost as much as the encoding.
	buf := make([]byte, 0, 64+len(sel.targets)*len(keys)*24)
	buf = append(buf, '[')
	if a.Format == "table" {
		head := make([]any, len(keys))
		for i, k := range keys {
			head[i] = names(k)
		}
		buf, _ = appendValue(buf, head)
	}
	funcs := make([]field, len(keys))
	named := make([]string, len(keys)) // once, not once a torrent
	for i, k := range keys {
		funcs[i], named[i] = fields[k], names(k)
	}
	var err error
	for n, tg := range sel.targets {
		r := row{id: tg.id, t: tg.t, now: now, lastActive: tg.lastActive, b: h.b}
		if n > 0 || a.Format == "table" {
			buf = append(buf, ',')
		}
		if buf, err = appendRow(buf, &r, named, funcs, a.Format == "table", names); err != nil {
			return nil, err
		}
	}
	torrents := json.RawMessage(append(buf, ']'))
	out := object{{"torrents", torrents}}
	if a.IDs != nil && a.IDs.recent {
		out = append(out, kv{"removed", sel.removed})
	}
	return out, nil
}

// appendRow encodes one torrent's fields: an object, or for the table
// format an array in which a value shoal does not know is null. keys are
// named as the answer names them; names names the keys of nested objects.
func appendRow(b []byte, r *row, keys []string, funcs []field, table bool, names keyNames) ([]byte, error) {
	var err error
	open, close := byte('{'), byte('}')
	if table {
		open, close = '[', ']'
	}
	b = append(b, open)
	first := true
	for i, k := range keys {
		v, ok := funcs[i](r)
		if !ok && !table {
			continue
		}
		if !ok {
			v = nil
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		if !table {
			b = appendString(b, k)
			b = append(b, ':')
		}
		if b, err = appendValueIn(b, v, names); err != nil {
			return nil, err
		}
	}
	return append(b, close), nil
}
