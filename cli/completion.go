package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

// defaultCompletionTimeout bounds the API calls of shell completion: a
// server that is down or slow must not freeze the user's shell.
const defaultCompletionTimeout = 2 * time.Second

// completionLimit is how many deploys or task instances completion offers.
const completionLimit = 50

// completion is the answer of a completion function.
type completion = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)

// noCompletion offers nothing, not even file names.
func noCompletion() ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completionClient returns an API client whose calls give up after
// f.completionTimeout. Completion never prints errors: it offers nothing.
func (f *factory) completionClient(cmd *cobra.Command) (*client.Client, context.Context, context.CancelFunc) {
	s := f.server()
	c := client.New(s, f.token(s), client.WithVersion(f.version), client.WithTimeout(f.completionTimeout))
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, f.completionTimeout)
	return c, ctx, cancel
}

// fixedCompletion offers a fixed list of values.
func fixedCompletion(values ...string) completion {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeDeploymentNames offers the names of the Deployments, each with
// its description.
func (f *factory) completeDeploymentNames(cmd *cobra.Command, toComplete string) ([]string, cobra.ShellCompDirective) {
	c, ctx, cancel := f.completionClient(cmd)
	defer cancel()
	ds, err := c.ListDeployments(ctx)
	if err != nil {
		return noCompletion()
	}
	var out []string
	for _, d := range ds {
		if strings.HasPrefix(d.Name, toComplete) {
			out = append(out, completionItem(d.Name, d.Description))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeDeploymentArg completes a command's one ID_OR_NAME argument.
func (f *factory) completeDeploymentArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return noCompletion()
	}
	return f.completeDeploymentNames(cmd, toComplete)
}

// completeDeploymentFlag completes --deployment with Deployment names.
func (f *factory) completeDeploymentFlag(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("deployment", func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return f.completeDeploymentNames(cmd, toComplete)
	})
}

// completionDeployment is the Deployment a completion works on: --deployment
// or the default, without the notice a command prints.
func (f *factory) completionDeployment(flag string) string {
	if flag != "" {
		return flag
	}
	name, _, err := f.defaultDeployment()
	if err != nil {
		return ""
	}
	return name
}

// completeDeployArg completes a DEPLOY argument of the Deployment *deployment
// (or the default one): "#N" when the word starts with "#", deploy ids and
// "previous" otherwise; newest first.
func (f *factory) completeDeployArg(deployment *string) completion {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		dep := f.completionDeployment(*deployment)
		if len(args) > 0 || dep == "" {
			return noCompletion()
		}
		c, ctx, cancel := f.completionClient(cmd)
		defer cancel()
		var ds []*dagdeck.Deploy
		err := c.EachDeploy(ctx, dep, completionLimit, func(d *dagdeck.Deploy) bool {
			ds = append(ds, d)
			return len(ds) < completionLimit
		})
		if err != nil {
			return noCompletion()
		}
		return deployCompletions(ds, toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// deployCompletions offers each deploy as "#N" or as its id, described.
func deployCompletions(ds []*dagdeck.Deploy, toComplete string) []string {
	var out []string
	byNumber := strings.HasPrefix(toComplete, "#")
	if !byNumber && strings.HasPrefix("previous", toComplete) {
		out = append(out, completionItem("previous", "the deploy a rollback goes back to by default"))
	}
	for _, d := range ds {
		seq := "#" + strconv.FormatInt(d.Sequence, 10)
		value, desc := d.ID, seq+" "+deployDescription(d)
		if byNumber {
			value, desc = seq, deployDescription(d)
		}
		if strings.HasPrefix(value, toComplete) {
			out = append(out, completionItem(value, desc))
		}
	}
	return out
}

// deployDescription is the description of a deploy in a completion menu.
func deployDescription(d *dagdeck.Deploy) string {
	return fmt.Sprintf("%s %s %s", d.Status, d.CreatedAt.UTC().Format("2006-01-02 15:04"), truncate(d.Description, 40))
}

// completeTaskArg completes a TASK_INSTANCE_ID argument with the newest
// task instances of the Deployment.
func (f *factory) completeTaskArg(deployment *string) completion {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		dep := f.completionDeployment(*deployment)
		if len(args) > 0 || dep == "" {
			return noCompletion()
		}
		c, ctx, cancel := f.completionClient(cmd)
		defer cancel()
		tis, err := c.ListTaskInstances(ctx, dep, client.TaskListOptions{Limit: completionLimit})
		if err != nil {
			return noCompletion()
		}
		var out []string
		for _, ti := range tis {
			if strings.HasPrefix(ti.ID, toComplete) {
				out = append(out, completionItem(ti.ID, fmt.Sprintf("%s.%s try %d %s", ti.DagID, ti.TaskID, ti.TryNumber, ti.State)))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// completeEvents completes the comma-separated --events of a webhook: the
// event types not listed yet, after what was typed.
func completeEvents(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	done, _ := cutLast(toComplete, ",")
	given := map[string]bool{}
	for _, e := range strings.Split(done, ",") {
		given[e] = true
	}
	var out []string
	for _, e := range dagdeck.EventTypes {
		if given[e] {
			continue
		}
		if done == "" {
			out = append(out, e)
		} else {
			out = append(out, done+","+e)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// cutLast splits s around the last sep: "a,b,c" → "a,b", "c".
func cutLast(s, sep string) (before, after string) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+len(sep):]
}

// completionItem is a completion value with a description shown by zsh and
// fish; tabs and newlines in the description would break the protocol.
func completionItem(value, desc string) string {
	desc = strings.Join(strings.Fields(desc), " ")
	if desc == "" {
		return value
	}
	return value + "\t" + desc
}
