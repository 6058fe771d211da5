package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"madoguchi/app/prefecture"
	"madoguchi/app/sign"
	"madoguchi/cardio"
	"madoguchi/keygen"
)

func init() {
	register("sign", "sign a file (CMS, or PAdES for a PDF) with the card in a reader after the PIN", runSign)
}

// runSign signs FILE with the card (without FILE it opens the resident's
// signing window): a PDF gets a PAdES signature in
// FILE.signed.pdf, anything else a CMS SignedData in FILE.p7s (detached
// unless -attached). The PIN is read from the terminal without echo, or
// from -pin-file ("-" for standard input); it is never printed or logged.
func runSign(args []string) error {
	fl := flag.NewFlagSet("sign", flag.ContinueOnError)
	readerName := fl.String("reader", "", "PC/SC `reader` holding the card (default: the first reader with a card)")
	pinFile := fl.String("pin-file", "", "read the PIN from `file` (\"-\": standard input) instead of the terminal")
	out := fl.String("out", "", "output `file` (default: FILE.p7s, or FILE.signed.pdf for a PDF)")
	attached := fl.Bool("attached", false, "include the document in the CMS signature")
	chainFile := fl.String("chain", "", "PEM `file` of the prefecture CA certificates to include")
	asPDF := fl.Bool("pdf", false, "sign as PDF (PAdES) even without a .pdf name")
	reason := fl.String("reason", "", "reason written in the PDF signature (e.g. 住民票の写しの交付申請)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	var chain []*x509.Certificate
	if *chainFile != "" {
		var err error
		if chain, err = readCertsPEM(*chainFile); err != nil {
			return err
		}
	}
	if fl.NArg() == 0 {
		return runSignWindow(*readerName, chain)
	}
	if fl.NArg() != 1 {
		return errors.New("usage: madoguchi sign [flags] [FILE]")
	}
	file := fl.Arg(0)
	doc, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	isPDF := *asPDF || sign.IsPDF(file, doc)
	if *out == "" {
		*out = sign.OutputName(file, isPDF)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reader, err := signReader(ctx, *readerName)
	if err != nil {
		return err
	}
	card, err := sign.OpenCard(ctx, reader)
	if err != nil {
		return err
	}
	defer card.Close()
	cert := card.Certificate()
	fmt.Fprintf(os.Stderr, "カード: %s (証明書 %s, 有効期限 %s)\n", reader.Name(), cert.SerialNumber, cert.NotAfter.Format("2006-01-02"))
	pin, err := readSignPIN(*pinFile)
	if err != nil {
		return err
	}
	defer keygen.Wipe(pin)
	s := card.Signer(pin, chain)
	start := time.Now()
	var signed []byte
	if isPDF {
		signed, err = sign.PDF(doc, s, sign.PDFInfo{Reason: *reason})
	} else {
		signed, err = sign.CMS(doc, s, !*attached)
	}
	if err != nil {
		var pe interface{ UserMessage() string }
		if errors.As(err, &pe) {
			return fmt.Errorf("%s (%w)", pe.UserMessage(), err)
		}
		return err
	}
	if err := os.WriteFile(*out, signed, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "署名しました: %s (%v)\n", *out, time.Since(start).Round(time.Millisecond))
	return nil
}

// signReader returns the named PC/SC reader, or the first one holding a
// card.
func signReader(ctx context.Context, name string) (cardio.Reader, error) {
	if name != "" {
		return cardio.PCSCReader(name), nil
	}
	readers, err := cardio.PCSCReaders(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range readers {
		if ok, err := r.Present(ctx); err == nil && ok {
			return r, nil
		}
	}
	return nil, errors.New("カードが挿入されたカードリーダーがありません")
}

// readSignPIN reads the PIN from path ("-" is standard input) or, with no
// path, from the terminal without echo.
func readSignPIN(path string) ([]byte, error) {
	var line []byte
	switch path {
	case "":
		fd := int(os.Stdin.Fd())
		if !term.IsTerminal(fd) {
			return nil, errors.New("no terminal for the PIN: use -pin-file")
		}
		fmt.Fprint(os.Stderr, "署名用パスワード (暗証番号): ")
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return nil, err
		}
		line = p
	case "-":
		p, err := bufio.NewReader(os.Stdin).ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, err
		}
		line = p
	default:
		p, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		line = p
	}
	pin := bytes.TrimRight(line, "\r\n")
	if len(pin) == 0 {
		return nil, errors.New("empty PIN")
	}
	return pin, nil
}

// readCertsPEM reads every CERTIFICATE block of a PEM file (at least one).
func readCertsPEM(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	certs, err := prefecture.ParseCertificatesPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return certs, nil
}
