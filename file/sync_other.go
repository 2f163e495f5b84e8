//go:build !linux

package file

import "os"

// syncFiles makes the files just written durable, one fsync each.
func syncFiles(_ string, files []string) error {
	for _, name := range files {
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
