// Package forms is the application form (申請書) and its rules: fields and
// validation, 和暦 dates, かな and width normalisation, the certificate's
// character set (JIS X 0208 and JIS X 0212), substitute characters (代替文字)
// and their position strings, and the printed forms.
package forms
