//go:build race

package printing

// raceDetector is true when the tests run with -race, which makes the
// code several times slower than a release build.
const raceDetector = true
