// Package osutil holds what the operating systems do differently that
// more than one package asks of them: the limit on open files, the free
// space of a file system, and an exclusive lock on a file that the
// system drops when its holder dies. It holds no state.
package osutil
