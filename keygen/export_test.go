package keygen

// DerivePUKForTest exposes the PUK derivation to the external tests that
// simulate an interrupted Finish.
func DerivePUKForTest(master []byte, cardID string) []byte {
	puk, err := derivePUK(master, cardID)
	if err != nil {
		panic(err)
	}
	return puk
}
