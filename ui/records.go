package ui

// showRecords opens the supervisor's records screen.
func (s *Shell) showRecords() { s.show("records", boldLabel("交付記録")) }
