package transmission

import (
	"errors"
	"fmt"
)

// remembered keeps the limit values a remote set while the limit was off,
// for when it turns the limit back on without naming one (Transmission
// stores a value and an on/off switch; shoal stores a rate, 0 being off).
type remembered struct {
	downKBps, upKBps   int64
	ratio              float64
	tDownKBps, tUpKBps int64
}

type setArgs struct {
	IDs                 *idSet   `json:"ids"`
	DownloadLimit       *int64   `json:"downloadLimit"`
	DownloadLimited     *bool    `json:"downloadLimited"`
	UploadLimit         *int64   `json:"uploadLimit"`
	UploadLimited       *bool    `json:"uploadLimited"`
	SeedRatioLimit      *float64 `json:"seedRatioLimit"`
	SeedRatioMode       *int     `json:"seedRatioMode"`
	HonorsSessionLimits *bool    `json:"honorsSessionLimits"`
	BandwidthPriority   *int     `json:"bandwidthPriority"`
	SequentialDownload  *bool    `json:"sequentialDownload"`
	fileArgs
}

// limit is one rate in Transmission's form: a value in kB/s and a switch.
// It returns the new rate in B/s (0: no limit) and what to remember.
func limit(curBps int64, value *int64, on *bool, kept int64) (bps, keep int64, err error) {
	if value != nil {
		if *value < 0 {
			return 0, 0, fmt.Errorf("a speed limit cannot be negative (%d)", *value)
		}
		kept = *value
	}
	enabled := curBps > 0
	if on != nil {
		enabled = *on
	}
	if !enabled {
		return 0, kept, nil
	}
	if kept == 0 {
		return 0, 0, errors.New("a speed limit of 0 is not supported by shoal; turn the limit off instead")
	}
	return kept * 1000, kept, nil
}

func (h *Handler) torrentSet(raw []byte) error {
	var a setArgs
	if err := decodeArgs(raw, &a); err != nil {
		return err
	}
	if a.HonorsSessionLimits != nil && !*a.HonorsSessionLimits {
		return errors.New("shoal always applies the session's limits (honorsSessionLimits false is not supported)")
	}
	if a.BandwidthPriority != nil && *a.BandwidthPriority != 0 {
		return errors.New("bandwidthPriority is not supported by shoal")
	}
	if a.SeedRatioMode != nil && (*a.SeedRatioMode < 0 || *a.SeedRatioMode > int(RatioUnlimited)) {
		return fmt.Errorf("seedRatioMode must be 0 (session), 1 (own) or 2 (unlimited), not %d", *a.SeedRatioMode)
	}
	if a.SeedRatioLimit != nil && *a.SeedRatioLimit < 0 {
		return errors.New("seedRatioLimit cannot be negative")
	}
	limits := a.DownloadLimit != nil || a.DownloadLimited != nil || a.UploadLimit != nil || a.UploadLimited != nil ||
		a.SeedRatioLimit != nil || a.SeedRatioMode != nil
	sel := h.selectTorrents(a.IDs)
	var errs []error
	for _, tg := range sel.targets {
		if a.fileArgs.any() {
			if err := h.applyFiles(tg.t, &a.fileArgs); err != nil {
				errs = append(errs, fmt.Errorf("torrent %d: %w", tg.id, err))
				continue
			}
		}
		if limits {
			if err := h.setLimits(tg, &a); err != nil {
				errs = append(errs, fmt.Errorf("torrent %d: %w", tg.id, err))
			}
		}
		if a.SequentialDownload != nil {
			if err := h.b.SetSequential(tg.t.InfoHash, *a.SequentialDownload); err != nil {
				errs = append(errs, fmt.Errorf("torrent %d: %w", tg.id, err))
			}
		}
	}
	return joinErrs(append(errs, sel.missingErr()))
}

func (h *Handler) setLimits(tg target, a *setArgs) error {
	h.mu.Lock()
	rem := h.remember
	h.mu.Unlock()
	var cerr error
	err := h.b.UpdateLimits(tg.t.InfoHash, func(l *TorrentLimits) {
		n := *l // change l only when every argument checks out
		var err1, err2 error
		n.DownLimitBps, rem.tDownKBps, err1 = limit(l.DownLimitBps, a.DownloadLimit, a.DownloadLimited, rem.tDownKBps)
		n.UpLimitBps, rem.tUpKBps, err2 = limit(l.UpLimitBps, a.UploadLimit, a.UploadLimited, rem.tUpKBps)
		if cerr = errors.Join(err1, err2); cerr != nil {
			return
		}
		if a.SeedRatioLimit != nil {
			n.SeedRatio = *a.SeedRatioLimit
		}
		if a.SeedRatioMode != nil {
			n.SeedRatioMode = RatioMode(*a.SeedRatioMode)
		}
		*l = n
	})
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.remember.tDownKBps, h.remember.tUpKBps = rem.tDownKBps, rem.tUpKBps
	h.mu.Unlock()
	return nil
}
