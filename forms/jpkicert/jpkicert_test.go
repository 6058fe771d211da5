package jpkicert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"
)

func sample() Items {
	return Items{
		Name:             "高橋　崎子",
		NamePositions:    "10010",
		Sex:              "2",
		Birth:            "319620617",
		Address:          "東京都千代田区霞が関二丁目１番２号",
		AddressPositions: strings.Repeat("0", 17),
	}
}

func TestRoundTripThroughRequest(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := sample().Extension()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:         pkix.Name{Country: []string{"JP"}},
		ExtraExtensions: []pkix.Extension{ext},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FromExtensions(csr.Extensions)
	if err != nil {
		t.Fatal(err)
	}
	if got != sample() {
		t.Fatalf("round trip: got %+v, want %+v", got, sample())
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Items)
		want   string // substring of the error, "" for none
	}{
		{"valid", func(*Items) {}, ""},
		{"empty name", func(it *Items) { it.Name, it.NamePositions = "", "" }, "name is empty"},
		{"short positions", func(it *Items) { it.NamePositions = "1001" }, "4 digits for 5 characters"},
		{"bad position digit", func(it *Items) { it.NamePositions = "10020" }, "other than 0 and 1"},
		{"sex 0", func(it *Items) { it.Sex = "0" }, "sex code"},
		{"sex word", func(it *Items) { it.Sex = "女" }, "sex code"},
		{"birth era 6", func(it *Items) { it.Birth = "619620617" }, "birth code"},
		{"birth short", func(it *Items) { it.Birth = "31962061" }, "birth code"},
		{"birth letters", func(it *Items) { it.Birth = "3196206AB" }, "birth code"},
		{"address too long", func(it *Items) {
			it.Address = strings.Repeat("あ", 201)
			it.AddressPositions = strings.Repeat("0", 201)
		}, "more than 200"},
		{"invalid utf8", func(it *Items) { it.Name = "\xff\xfe\xfd\xfc\xfb" }, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := sample()
			tt.change(&it)
			err := it.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good, err := sample().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"trailing byte", append(append([]byte{}, good...), 0)},
		{"not a sequence", []byte{0x04, 0x00}},
		{"empty sequence", []byte{0x30, 0x00}},
		{"truncated", good[:len(good)-3]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Unmarshal(tt.der); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func FuzzUnmarshal(f *testing.F) {
	good, _ := sample().Marshal()
	f.Add(good)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		it, err := Unmarshal(der)
		if err != nil {
			return
		}
		// Whatever decodes must encode again and decode to the same items.
		again, err := it.Marshal()
		if err != nil {
			t.Fatalf("decoded items do not marshal: %v", err)
		}
		back, err := Unmarshal(again)
		if err != nil || back != it {
			t.Fatalf("re-decode: %+v, %v; want %+v", back, err, it)
		}
	})
}
