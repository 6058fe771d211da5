package registry

import (
	"strings"

	"madoguchi/forms"
)

// variantFold maps variant forms (異体字) common in family names to the
// form a clerk is likely to type, so that a search for 渡辺 also finds 渡邊
// and 渡邉, and one for 高橋 finds 髙橋. It serves the search key only: the
// registry text is never changed. Characters the certificate cannot carry
// are folded to their first substitute candidate as well (foldVariants).
var variantFold = map[rune]rune{
	'髙': '高', '﨑': '崎', '嵜': '崎', '碕': '崎', '𠮷': '吉',
	'邊': '辺', '邉': '辺', '齋': '斎', '齊': '斎', '斉': '斎',
	'濵': '浜', '濱': '浜', '澤': '沢', '廣': '広', '國': '国',
	'櫻': '桜', '邨': '村', '冨': '富', '嶋': '島', '嶌': '島',
	'槇': '槙', '德': '徳', '眞': '真', '藪': '薮', '龍': '竜',
	'瀨': '瀬', '髮': '髪', '曻': '昇', '惠': '恵', '榮': '栄',
	'壽': '寿', '彌': '弥', '藏': '蔵', '實': '実', '條': '条',
	'淺': '浅', '增': '増', '將': '将', '傳': '伝', '營': '営',
	'發': '発', '關': '関', '舘': '館', '峯': '峰', '嶽': '岳',
}

// foldVariants folds every character of s as described at variantFold.
func foldVariants(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if f, ok := variantFold[r]; ok {
			b.WriteRune(f)
			continue
		}
		if r >= 0x3000 && !forms.Carriable(string(r)) {
			if c := forms.Candidates(string(r)); len(c) > 0 {
				b.WriteString(c[0])
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}
