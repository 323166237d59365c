package daemon

// The global seed ratio goal starts as Goals.SeedRatio (the config's
// seed_ratio) and Transmission remotes may change it with session-set.
// A change lasts while the daemon runs: the config file is the user's and
// shoal does not rewrite it, so the next start uses seed_ratio again.

// initRatioGoal records RunGoals's ratio unless one was set before it
// started.
func (d *Daemon) initRatioGoal(r float64) {
	d.goalMu.Lock()
	defer d.goalMu.Unlock()
	if !d.ratioOK {
		d.ratio, d.ratioOK = r, true
	}
}

// RatioGoal is the global seed ratio goal now; 0: none.
func (d *Daemon) RatioGoal() float64 {
	d.goalMu.Lock()
	defer d.goalMu.Unlock()
	return d.ratio
}

// SetRatioGoal changes the global seed ratio goal of every torrent that
// has none of its own; 0 removes it. Torrents already paused at the old
// goal stay paused.
func (d *Daemon) SetRatioGoal(r float64) error {
	if r < 0 {
		return errorf(KindBadRequest, "seed ratio goal %v: give a ratio above 0, or 0 for none", r)
	}
	d.goalMu.Lock()
	defer d.goalMu.Unlock()
	d.ratio, d.ratioOK = r, true
	return nil
}
