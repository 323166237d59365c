package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/shoal-bt/shoal/swarm"
)

// Goals are the global seeding goals; a torrent's own settings override
// them (TorrentSettings.SeedRatio, SeedTimeSeconds).
type Goals struct {
	SeedRatio float64       // uploaded over downloaded (or over the size, for a torrent seeded from disk); 0: none
	SeedTime  time.Duration // time spent seeding; 0: none
	// Remove removes a torrent that reached its goal (its data stays);
	// otherwise it is paused.
	Remove bool
	Every  time.Duration // how often goals are checked; 0: 1 s
}

// runTotals are one torrent's figures for the goals: the totals of
// earlier runs, when this run first saw it, and its seeding time so far.
type runTotals struct {
	hex              string // the infohash, as settings are keyed
	up, down, seeded int64  // before this run
	seedingRun       time.Duration
	addedAt          time.Time // of the engine's torrent whose limits were set
	why              string    // the goal it reached, between the check and the stop
}

// RunGoals checks every seeding torrent against its goals until ctx
// ends, pausing (or removing) those that reached them, sets a torrent's
// own rate limits whenever it (re)enters the engine, and keeps each
// torrent's upload, download and seeding totals in settings.json (every
// 30 s and at the end), so goals count across restarts.
func (d *Daemon) RunGoals(ctx context.Context, g Goals) {
	if g.Every <= 0 {
		g.Every = time.Second
	}
	d.initRatioGoal(g.SeedRatio)
	tick := time.NewTicker(g.Every)
	defer tick.Stop()
	totals := make(map[swarm.InfoHash]*runTotals)
	last, saved := time.Now(), time.Now()
	for {
		select {
		case <-ctx.Done():
			d.saveTotals(totals)
			return
		case now := <-tick.C:
			d.checkGoals(g, totals, now.Sub(last))
			last = now
			if now.Sub(saved) >= 30*time.Second {
				d.saveTotals(totals)
				saved = now
			}
		}
	}
}

func (d *Daemon) checkGoals(g Goals, totals map[swarm.InfoHash]*runTotals, dt time.Duration) {
	g.SeedRatio = d.RatioGoal()
	snap := d.s.Snapshot()
	if snap == nil {
		return
	}
	// The settings are read under one lock for all torrents (10,000 locks
	// and hex strings a second were most of an idle daemon's CPU); what
	// the checks find is done after, as it takes locks of its own.
	type limits struct {
		t        *swarm.TorrentSnapshot
		down, up int64
		rt       *runTotals
	}
	var setLimits []limits
	var reached []*swarm.TorrentSnapshot
	d.setMu.Lock()
	for i := range snap.Torrents {
		t := &snap.Torrents[i]
		rt := totals[t.InfoHash]
		if rt == nil {
			h := hexOf(t.InfoHash)
			st := d.settings[h]
			rt = &runTotals{hex: h, up: st.UploadedBefore, down: st.DownloadedBefore, seeded: st.SeededBefore}
			totals[t.InfoHash] = rt
		}
		st := d.settings[rt.hex]
		if !rt.addedAt.Equal(t.AddedAt) {
			// New to the engine (restored, verified, moved): it has none
			// of its own limits yet.
			rt.addedAt = t.AddedAt
			if st.DownLimitBps != 0 || st.UpLimitBps != 0 {
				setLimits = append(setLimits, limits{t, st.DownLimitBps, st.UpLimitBps, rt})
			}
		}
		if t.State != swarm.StateSeeding {
			continue
		}
		rt.seedingRun += dt
		if why := goalReached(g, st, rt, t); why != "" {
			rt.why = why
			reached = append(reached, t)
		}
	}
	d.setMu.Unlock()
	for _, l := range setLimits {
		if err := d.s.SetTorrentLimits(l.t.InfoHash, l.down, l.up); err != nil {
			d.log.Warn("Could not set a torrent's rate limits", "ih", l.rt.hex[:8], "err", err)
		}
	}
	for _, t := range reached {
		rt := totals[t.InfoHash]
		d.log.Info("Seeding goal reached", "ih", rt.hex[:8], "name", t.Name, "goal", rt.why, "remove", g.Remove)
		d.saveTotals(map[swarm.InfoHash]*runTotals{t.InfoHash: rt})
		var err error
		if g.Remove {
			err = d.Remove(t.InfoHash, false)
			delete(totals, t.InfoHash)
		} else {
			err = d.Pause(t.InfoHash)
		}
		if err != nil {
			d.log.Warn("Could not stop a torrent at its seeding goal", "ih", rt.hex[:8], "err", err)
		}
	}
}

// goalReached says which goal t reached, or "".
func goalReached(g Goals, st TorrentSettings, rt *runTotals, t *swarm.TorrentSnapshot) string {
	ratioLimit, timeLimit := g.SeedRatio, g.SeedTime
	switch {
	case st.SeedRatio < 0:
		ratioLimit = 0
	case st.SeedRatio > 0:
		ratioLimit = st.SeedRatio
	}
	switch {
	case st.SeedTimeSeconds < 0:
		timeLimit = 0
	case st.SeedTimeSeconds > 0:
		timeLimit = time.Duration(st.SeedTimeSeconds) * time.Second
	}
	if ratioLimit > 0 {
		up, down := rt.up+t.Uploaded, rt.down+t.Downloaded
		if down == 0 {
			down = t.SizeBytes
		}
		if down > 0 && float64(up)/float64(down) >= ratioLimit {
			return fmt.Sprintf("ratio %.2f reached the limit %.2f", float64(up)/float64(down), ratioLimit)
		}
	}
	if timeLimit > 0 {
		if seeded := time.Duration(rt.seeded)*time.Second + rt.seedingRun; seeded >= timeLimit {
			return fmt.Sprintf("seeded %v, the limit is %v", seeded.Round(time.Second), timeLimit)
		}
	}
	return ""
}

// saveTotals writes the totals so far of the torrents still in the
// daemon into settings.json, for the next run.
func (d *Daemon) saveTotals(totals map[swarm.InfoHash]*runTotals) {
	snap := d.s.Snapshot()
	if snap == nil {
		return
	}
	d.setMu.Lock()
	defer d.setMu.Unlock()
	changed := false
	for i := range snap.Torrents {
		t := &snap.Torrents[i]
		rt := totals[t.InfoHash]
		if rt == nil {
			continue
		}
		h := hexOf(t.InfoHash)
		s := d.settings[h]
		up, down := rt.up+t.Uploaded, rt.down+t.Downloaded
		seeded := rt.seeded + int64(rt.seedingRun/time.Second)
		if s.UploadedBefore == up && s.DownloadedBefore == down && s.SeededBefore == seeded {
			continue
		}
		s.UploadedBefore, s.DownloadedBefore, s.SeededBefore = up, down, seeded
		d.settings[h] = s
		changed = true
	}
	if changed {
		if err := d.saveSettingsLocked(); err != nil {
			d.log.Warn("Could not save the seeding totals", "err", err)
		}
	}
}

// setGoalsAndLabels applies the goal and label fields of a SetRequest.
func (d *Daemon) setGoalsAndLabels(ih swarm.InfoHash, req SetRequest) error {
	if req.SeedRatio == nil && req.SeedTimeSeconds == nil && req.Labels == nil && req.DownLimitBps == nil && req.UpLimitBps == nil {
		return nil
	}
	for _, l := range []*int64{req.DownLimitBps, req.UpLimitBps} {
		if l != nil && *l < 0 {
			return errorf(KindBadRequest, "rate limit %d: give bytes per second, or 0 for none", *l)
		}
	}
	var labels []string
	if req.Labels != nil {
		var err error
		if labels, err = CleanLabels(*req.Labels); err != nil {
			return err
		}
	}
	err := d.editSettings(hexOf(ih), func(s *TorrentSettings) {
		if req.SeedRatio != nil {
			s.SeedRatio = *req.SeedRatio
		}
		if req.SeedTimeSeconds != nil {
			s.SeedTimeSeconds = *req.SeedTimeSeconds
		}
		if req.Labels != nil {
			s.Labels = labels
		}
		if req.DownLimitBps != nil {
			s.DownLimitBps = *req.DownLimitBps
		}
		if req.UpLimitBps != nil {
			s.UpLimitBps = *req.UpLimitBps
		}
	})
	if err != nil {
		return errorf(KindInternal, "save %s: %v", d.settingsPath(), err)
	}
	if req.DownLimitBps != nil || req.UpLimitBps != nil {
		st := d.settingsOf(hexOf(ih))
		if err := d.s.SetTorrentLimits(ih, st.DownLimitBps, st.UpLimitBps); err != nil {
			return asError(err)
		}
	}
	return nil
}

// forgetSettings drops a removed torrent's settings.
func (d *Daemon) forgetSettings(ih swarm.InfoHash) {
	d.setMu.Lock()
	defer d.setMu.Unlock()
	if _, ok := d.settings[hexOf(ih)]; !ok {
		return
	}
	delete(d.settings, hexOf(ih))
	if err := d.saveSettingsLocked(); err != nil {
		d.log.Warn("Could not save the settings", "err", err)
	}
}
