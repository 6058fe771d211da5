package main

func runGUI(args []string) error { return nil }
