package dest

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
)

// Helpers that several protocols share, where each had the same logic.

// logger returns the log a destination writes to: env's, or one that discards.
func (e Env) logger() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

// openFieldError turns a configuration error that only opening finds (a key_file or
// a ca_file that cannot be used, which Check does not read) into the error of the
// run: the key and what is wrong with it, its fix as the hint, and permanent, as
// retrying cannot fix it. Other errors are returned as they are.
func openFieldError(err error) error {
	var fe *config.FieldError
	if errors.As(err, &fe) {
		return fault.Permanent(fault.WithHint(fmt.Errorf("%s: %s", fe.Key, fe.Msg), fe.Fix))
	}
	return err
}
