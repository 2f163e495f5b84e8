package testenv

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"time"
)

// child is a server process (PostgreSQL, versitygw) that this test binary
// started. On Linux its SysProcAttr asks the kernel to kill it when the
// thread that started it exits, so it dies with the test binary.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
}

// startChild starts cmd on a goroutine locked to its thread for the life of
// the process: Pdeathsig fires when the starting thread exits, not the
// process.
func startChild(cmd *exec.Cmd) (*child, error) {
	c := &child{cmd: cmd, exited: make(chan struct{})}
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			cmd.Wait()
			close(c.exited)
		}
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}

// stop interrupts the process and kills it if it has not exited after grace.
func (c *child) stop(grace time.Duration) {
	c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.exited:
	case <-time.After(grace):
		c.cmd.Process.Kill()
		<-c.exited
	}
}

// waitHTTP polls url until the child answers any HTTP response, exits or
// timeout passes.
func (c *child) waitHTTP(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("exited before serving: %v", c.cmd.ProcessState)
		case <-deadline.C:
			return fmt.Errorf("not serving after %v", timeout)
		case <-tick.C:
		}
	}
}
