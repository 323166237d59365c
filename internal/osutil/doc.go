// Package osutil holds what the operating systems do differently that
// more than one package asks of them: the limit on open files and the
// free space of a file system. It holds no state.
package osutil
