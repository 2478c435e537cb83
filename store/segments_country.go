package store

import "strings"

// countryKeys returns the lower-cased forms a customer's country column is
// compared with for the rule values: each value itself, and for an ISO
// 3166-1 alpha-2 code its English name, for an English name (or a common
// alias) its code. The mirror holds the code of the customer's first
// address (the syncer's mapping), so a name written in a rule matches
// through its code.
func countryKeys(vals []string) []any {
	var out []any
	seen := map[string]bool{}
	add := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, v := range vals {
		k := strings.ToLower(strings.TrimSpace(v))
		add(k)
		if code, ok := countryAliases[k]; ok {
			add(code)
			add(countryNames[code])
		}
		if name, ok := countryNames[k]; ok {
			add(name)
		}
		if code, ok := countryCodes[k]; ok {
			add(code)
		}
	}
	return out
}

// countryNames maps lower-case alpha-2 codes to lower-case English short
// names; countryCodes is the reverse.
var countryNames, countryCodes = parseCountries(countryTable)

// countryAliases are other names (and the non-ISO "uk") people write.
var countryAliases = map[string]string{
	"uk": "gb", "great britain": "gb", "britain": "gb", "england": "gb", "scotland": "gb", "wales": "gb",
	"northern ireland": "gb", "usa": "us", "u.s.a.": "us", "united states of america": "us", "america": "us",
	"russian federation": "ru", "south korea": "kr", "korea, republic of": "kr", "north korea": "kp",
	"czech republic": "cz", "holland": "nl", "the netherlands": "nl", "vatican": "va", "ivory coast": "ci",
	"cote d'ivoire": "ci", "macedonia": "mk", "swaziland": "sz", "burma": "mm", "east timor": "tl",
	"cape verde": "cv", "turkey": "tr", "türkiye": "tr", "viet nam": "vn", "iran, islamic republic of": "ir",
	"syrian arab republic": "sy", "lao people's democratic republic": "la", "taiwan, province of china": "tw",
	"bolivia, plurinational state of": "bo", "venezuela, bolivarian republic of": "ve", "tanzania, united republic of": "tz",
	"moldova, republic of": "md", "palestine, state of": "ps", "congo, the democratic republic of the": "cd",
	"drc": "cd", "uae": "ae",
}

func parseCountries(table string) (names, codes map[string]string) {
	names, codes = map[string]string{}, map[string]string{}
	for _, e := range strings.Split(table, "|") {
		code, name, ok := strings.Cut(strings.TrimSpace(e), ":")
		if !ok {
			continue
		}
		code, name = strings.ToLower(code), strings.ToLower(name)
		names[code] = name
		codes[name] = code
	}
	return names, codes
}

const countryTable = `AD:Andorra|AE:United Arab Emirates|AF:Afghanistan|AG:Antigua and Barbuda|AI:Anguilla|AL:Albania|
AM:Armenia|AO:Angola|AQ:Antarctica|AR:Argentina|AS:American Samoa|AT:Austria|AU:Australia|AW:Aruba|AX:Åland Islands|
AZ:Azerbaijan|BA:Bosnia and Herzegovina|BB:Barbados|BD:Bangladesh|BE:Belgium|BF:Burkina Faso|BG:Bulgaria|BH:Bahrain|
BI:Burundi|BJ:Benin|BL:Saint Barthélemy|BM:Bermuda|BN:Brunei|BO:Bolivia|BQ:Bonaire, Sint Eustatius and Saba|BR:Brazil|
BS:Bahamas|BT:Bhutan|BV:Bouvet Island|BW:Botswana|BY:Belarus|BZ:Belize|CA:Canada|CC:Cocos (Keeling) Islands|
CD:Democratic Republic of the Congo|CF:Central African Republic|CG:Congo|CH:Switzerland|CI:Côte d'Ivoire|CK:Cook Islands|
CL:Chile|CM:Cameroon|CN:China|CO:Colombia|CR:Costa Rica|CU:Cuba|CV:Cabo Verde|CW:Curaçao|CX:Christmas Island|CY:Cyprus|
CZ:Czechia|DE:Germany|DJ:Djibouti|DK:Denmark|DM:Dominica|DO:Dominican Republic|DZ:Algeria|EC:Ecuador|EE:Estonia|EG:Egypt|
EH:Western Sahara|ER:Eritrea|ES:Spain|ET:Ethiopia|FI:Finland|FJ:Fiji|FK:Falkland Islands|FM:Micronesia|FO:Faroe Islands|
FR:France|GA:Gabon|GB:United Kingdom|GD:Grenada|GE:Georgia|GF:French Guiana|GG:Guernsey|GH:Ghana|GI:Gibraltar|GL:Greenland|
GM:Gambia|GN:Guinea|GP:Guadeloupe|GQ:Equatorial Guinea|GR:Greece|GS:South Georgia and the South Sandwich Islands|
GT:Guatemala|GU:Guam|GW:Guinea-Bissau|GY:Guyana|HK:Hong Kong|HM:Heard Island and McDonald Islands|HN:Honduras|HR:Croatia|
HT:Haiti|HU:Hungary|ID:Indonesia|IE:Ireland|IL:Israel|IM:Isle of Man|IN:India|IO:British Indian Ocean Territory|IQ:Iraq|
IR:Iran|IS:Iceland|IT:Italy|JE:Jersey|JM:Jamaica|JO:Jordan|JP:Japan|KE:Kenya|KG:Kyrgyzstan|KH:Cambodia|KI:Kiribati|
KM:Comoros|KN:Saint Kitts and Nevis|KP:North Korea|KR:Korea|KW:Kuwait|KY:Cayman Islands|KZ:Kazakhstan|LA:Laos|LB:Lebanon|
LC:Saint Lucia|LI:Liechtenstein|LK:Sri Lanka|LR:Liberia|LS:Lesotho|LT:Lithuania|LU:Luxembourg|LV:Latvia|LY:Libya|
MA:Morocco|MC:Monaco|MD:Moldova|ME:Montenegro|MF:Saint Martin|MG:Madagascar|MH:Marshall Islands|MK:North Macedonia|ML:Mali|
MM:Myanmar|MN:Mongolia|MO:Macao|MP:Northern Mariana Islands|MQ:Martinique|MR:Mauritania|MS:Montserrat|MT:Malta|
MU:Mauritius|MV:Maldives|MW:Malawi|MX:Mexico|MY:Malaysia|MZ:Mozambique|NA:Namibia|NC:New Caledonia|NE:Niger|
NF:Norfolk Island|NG:Nigeria|NI:Nicaragua|NL:Netherlands|NO:Norway|NP:Nepal|NR:Nauru|NU:Niue|NZ:New Zealand|OM:Oman|
PA:Panama|PE:Peru|PF:French Polynesia|PG:Papua New Guinea|PH:Philippines|PK:Pakistan|PL:Poland|PM:Saint Pierre and Miquelon|
PN:Pitcairn|PR:Puerto Rico|PS:Palestine|PT:Portugal|PW:Palau|PY:Paraguay|QA:Qatar|RE:Réunion|RO:Romania|RS:Serbia|
RU:Russia|RW:Rwanda|SA:Saudi Arabia|SB:Solomon Islands|SC:Seychelles|SD:Sudan|SE:Sweden|SG:Singapore|
SH:Saint Helena, Ascension and Tristan da Cunha|SI:Slovenia|SJ:Svalbard and Jan Mayen|SK:Slovakia|SL:Sierra Leone|
SM:San Marino|SN:Senegal|SO:Somalia|SR:Suriname|SS:South Sudan|ST:Sao Tome and Principe|SV:El Salvador|SX:Sint Maarten|
SY:Syria|SZ:Eswatini|TC:Turks and Caicos Islands|TD:Chad|TF:French Southern Territories|TG:Togo|TH:Thailand|
TJ:Tajikistan|TK:Tokelau|TL:Timor-Leste|TM:Turkmenistan|TN:Tunisia|TO:Tonga|TR:Türkiye|TT:Trinidad and Tobago|TV:Tuvalu|
TW:Taiwan|TZ:Tanzania|UA:Ukraine|UG:Uganda|UM:United States Minor Outlying Islands|US:United States|UY:Uruguay|
UZ:Uzbekistan|VA:Holy See|VC:Saint Vincent and the Grenadines|VE:Venezuela|VG:British Virgin Islands|
VI:U.S. Virgin Islands|VN:Vietnam|VU:Vanuatu|WF:Wallis and Futuna|WS:Samoa|YE:Yemen|YT:Mayotte|ZA:South Africa|
ZM:Zambia|ZW:Zimbabwe`
