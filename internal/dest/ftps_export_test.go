package dest

import "time"

// SetFTPIdleCheck sets how long an FTP session may sit unused before it is checked,
// until the returned function restores it.
func SetFTPIdleCheck(d time.Duration) (restore func()) {
	old := ftpIdleCheck
	ftpIdleCheck = d
	return func() { ftpIdleCheck = old }
}
