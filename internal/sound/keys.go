package sound

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/thermogate/thermogate/kiosk"
)

// Key names one sound. It is also the file name of a recording:
// <recordings>/<lang>/<key>.wav.
type Key string

// Tones: generated PCM, the same in every language, distinct in pitch and
// rhythm so the result is heard, not only seen in the screen's colour.
const (
	ToneCode    Key = "tone.code"    // a booking code was accepted
	ToneReading Key = "tone.reading" // the temperature reading was taken
	ToneAdmit   Key = "tone.admit"   // ADMIT
	ToneDeny    Key = "tone.deny"    // DENY or REFER
)

// Prompts: spoken sentences in the visitor's language.
const (
	KeyStart        Key = "start"         // what to do on the start screen (off unless start_prompt)
	KeyForehead     Key = "forehead"      // hold your forehead to the sensor
	KeyHoldStill    Key = "hold_still"    // hold still
	KeyMeasureAgain Key = "measure_again" // let us measure once more
	KeyEarly        Key = "early"         // the booking's check opens later: the time is on the screen

	KeyAdmit Key = "admit" // every ADMIT, by the rule or by a guard
	KeyDeny  Key = "deny"  // a DENY whose reason has no sentence of its own
	KeyRefer Key = "refer" // a REFER whose reason has no sentence of its own
)

// denyReasons and referReasons have a sentence of their own: "deny.fever",
// "refer.sensor_fault", ... (the kiosk's reason names).
var (
	denyReasons = []string{
		string(kiosk.ReasonFever), string(kiosk.ReasonSymptoms), string(kiosk.ReasonUnknownCode),
		string(kiosk.ReasonNotToday), string(kiosk.ReasonTooEarly), string(kiosk.ReasonTooLate),
		string(kiosk.ReasonUsed), string(kiosk.ReasonCancelled), string(kiosk.ReasonGuard),
	}
	referReasons = []string{string(kiosk.ReasonUnknownCode), string(kiosk.ReasonNoReading), string(kiosk.ReasonSensorFault), string(kiosk.ReasonStorage)}
)

// Keys returns every key: tones first, then prompts, in a stable order.
func Keys() []Key {
	keys := []Key{ToneCode, ToneReading, ToneAdmit, ToneDeny,
		KeyStart, KeyForehead, KeyHoldStill, KeyMeasureAgain, KeyEarly, KeyAdmit, KeyDeny}
	for _, r := range denyReasons {
		keys = append(keys, Key(string(kiosk.Deny)+"."+r))
	}
	keys = append(keys, KeyRefer)
	for _, r := range referReasons {
		keys = append(keys, Key(string(kiosk.Refer)+"."+r))
	}
	return keys
}

// IsTone says whether k is a generated tone rather than a spoken prompt.
func (k Key) IsTone() bool { return strings.HasPrefix(string(k), "tone.") }

// IsDecision says whether k announces a decision; a request that starts
// with one cuts off whatever is playing.
func (k Key) IsDecision() bool {
	switch {
	case k == ToneAdmit, k == ToneDeny, k == KeyAdmit, k == KeyDeny, k == KeyRefer:
		return true
	}
	s := string(k)
	return strings.HasPrefix(s, string(kiosk.Deny)+".") || strings.HasPrefix(s, string(kiosk.Refer)+".")
}

// Valid says whether k is one of Keys.
func (k Key) Valid() bool {
	for _, x := range Keys() {
		if x == k {
			return true
		}
	}
	return false
}

// ForDecision returns the tone and the prompt for a decision and its reason
// (kiosk.Decision, kiosk.Reason, as strings). A reason without a sentence of its
// own gets the decision's plain sentence; a decision the kiosk does not know
// is announced as REFER (see the guard), never as an ADMIT.
func ForDecision(decision, reason string) (tone, prompt Key) {
	switch decision {
	case string(kiosk.Admit):
		return ToneAdmit, KeyAdmit
	case string(kiosk.Deny):
		for _, r := range denyReasons {
			if r == reason {
				return ToneDeny, Key(decision + "." + reason)
			}
		}
		return ToneDeny, KeyDeny
	}
	if decision == string(kiosk.Refer) {
		for _, r := range referReasons {
			if r == reason {
				return ToneDeny, Key(decision + "." + reason)
			}
		}
	}
	return ToneDeny, KeyRefer
}

// Params are the values sentences carry.
type Params struct {
	ThresholdC float64 // the fever threshold in force, spoken in deny.fever
}

// DefaultParams are the kiosk's default rule values.
var DefaultParams = Params{ThresholdC: 37.3}

// Text returns the sentence spoken for a prompt key in lang, or "" for a
// tone, an unknown key or an unknown language.
func Text(k Key, lang string, p Params) string {
	t := texts[k][lang]
	if t == "" {
		return ""
	}
	return strings.ReplaceAll(t, "{t}", degrees(p.ThresholdC, lang))
}

// degrees writes a temperature so espeak-ng reads it right: one decimal,
// the language's decimal separator (lt, pl, ru say "kablelis", "przecinek",
// "и три десятых" for a comma; en says "point" for a point), and the unit in
// the form a decimal fraction takes (genitive singular in lt, pl and ru).
func degrees(c float64, lang string) string {
	n := strconv.FormatFloat(c, 'f', 1, 64)
	if lang != "en" {
		n = strings.Replace(n, ".", ",", 1)
	}
	return fmt.Sprintf("%s %s", n, unit[lang])
}

var unit = map[string]string{"lt": "laipsnio", "pl": "stopnia", "ru": "градуса", "en": "degrees"}

// texts are worded with the screen catalog's terms (kiosk/ui/i18n): a
// decision sentence is the screen's decision title and its reason line, so
// what is heard is what is shown. TestDecisionSentencesMatchScreen holds them
// to it; the exceptions are shortened to be spoken within 5 s. Speech never says the visitor's own temperature: others are
// standing by.
var texts = map[Key]map[string]string{
	KeyStart: {
		"lt": "Sveiki. Paspauskite Pradėti arba nuskaitykite registracijos kodą.",
		"pl": "Witamy. Prosimy nacisnąć Rozpocznij lub zeskanować kod rezerwacji.",
		"ru": "Здравствуйте. Нажмите Начать или отсканируйте код записи.",
		"en": "Welcome. Tap Start or scan the code from your booking.",
	},
	KeyForehead: {
		"lt": "Prašome laikyti kaktą prie jutiklio.",
		"pl": "Prosimy zbliżyć czoło do czujnika.",
		"ru": "Пожалуйста, поднесите лоб к датчику.",
		"en": "Please hold your forehead close to the sensor.",
	},
	KeyHoldStill: {
		"lt": "Prašome nejudėti.",
		"pl": "Prosimy się nie ruszać.",
		"ru": "Пожалуйста, не двигайтесь.",
		"en": "Please hold still.",
	},
	KeyMeasureAgain: {
		"lt": "Pamatuokime dar kartą.",
		"pl": "Zmierzmy jeszcze raz.",
		"ru": "Измерим ещё раз.",
		"en": "Let us measure once more.",
	},
	KeyEarly: {
		"lt": "Atvykote per anksti. Patikra prasidės ekrane nurodytu laiku.",
		"pl": "Są Państwo przed czasem. Kontrola zacznie się o godzinie podanej na ekranie.",
		"ru": "Вы пришли раньше времени. Проверка начнётся в указанное на экране время.",
		"en": "You are early. Your check starts at the time shown on the screen.",
	},
	KeyAdmit: {
		"lt": "Prašome įeiti. Sveiki atvykę.",
		"pl": "Zapraszamy. Prosimy wejść.",
		"ru": "Проходите, пожалуйста. Добро пожаловать!",
		"en": "Please enter. Welcome.",
	},
	KeyDeny: {
		"lt": "Įeiti negalima.",
		"pl": "Nie można wejść.",
		"ru": "Вход не разрешён.",
		"en": "No entry.",
	},
	"deny.fever": {
		"lt": "Įeiti negalima. Temperatūra virš {t}.",   // the screen's "Jūsų temperatūra aukštesnė nei" would not fit 5 s
		"pl": "Nie można wejść. Temperatura ponad {t}.", // the screen's "przekracza" would not fit 5 s
		"ru": "Вход не разрешён. Температура выше {t}.",
		"en": "No entry. Your temperature is above {t}.",
	},
	"deny.symptoms": {
		"lt": "Įeiti negalima. Nurodėte, kad turite ligos simptomų.",
		"pl": "Nie można wejść. Zgłoszono objawy choroby.",
		"ru": "Вход не разрешён. Вы сообщили о симптомах болезни.",
		"en": "No entry. You told us you have symptoms of illness.",
	},
	"deny.unknown_code": {
		"lt": "Įeiti negalima. Tokio registracijos kodo neradome.",
		"pl": "Nie można wejść. Nie znaleziono takiego kodu rezerwacji.",
		"ru": "Вход не разрешён. Такой код записи не найден.",
		"en": "No entry. We did not find this booking code.",
	},
	"deny.not_today": {
		"lt": "Įeiti negalima. Jūsų vizitas užregistruotas kitai dienai.",
		"pl": "Nie można wejść. Rezerwacja dotyczy innego dnia.",
		"ru": "Вход не разрешён. Вы записаны на другой день.",
		"en": "No entry. Your booking is for another day.",
	},
	"deny.too_early": {
		"lt": "Įeiti negalima. Atvykote per anksti.",
		"pl": "Nie można wejść. Jest jeszcze za wcześnie na tę wizytę.",
		"ru": "Вход не разрешён. Вы пришли слишком рано.",
		"en": "No entry. You have come too early for your booking.",
	},
	"deny.too_late": {
		"lt": "Įeiti negalima. Jūsų vizito laikas jau praėjo.",
		"pl": "Nie można wejść. Czas rezerwacji już minął.",
		"ru": "Вход не разрешён. Время Вашей записи уже прошло.",
		"en": "No entry. The time of your booking has passed.",
	},
	"deny.already_used": {
		"lt": "Įeiti negalima. Šis registracijos kodas šiandien jau panaudotas.",
		"pl": "Nie można wejść. Ten kod rezerwacji został już dziś użyty.",
		"ru": "Вход не разрешён. Этот код записи сегодня уже использован.",
		"en": "No entry. This booking code has already been used today.",
	},
	"deny.cancelled": {
		"lt": "Įeiti negalima. Ši registracija atšaukta.",
		"pl": "Nie można wejść. Ta rezerwacja została anulowana.",
		"ru": "Вход не разрешён. Эта запись отменена.",
		"en": "No entry. This booking was cancelled.",
	},
	"deny.guard": {
		"lt": "Įeiti negalima. Sprendimą priėmė apsauga.",
		"pl": "Nie można wejść. Decyzję podjęła ochrona.",
		"ru": "Вход не разрешён. Решение принято охраной.",
		"en": "No entry. The guard has decided.",
	},
	KeyRefer: {
		"lt": "Kreipkitės į apsaugą.",
		"pl": "Prosimy podejść do ochrony.",
		"ru": "Обратитесь к охраннику.",
		"en": "Please see the guard.",
	},
	"refer.unknown_code": {
		"lt": "Kreipkitės į apsaugą. Tokio registracijos kodo neradome.",
		"pl": "Prosimy podejść do ochrony. Nie znaleziono takiego kodu rezerwacji.",
		"ru": "Обратитесь к охраннику. Такой код записи не найден.",
		"en": "Please see the guard. We did not find this booking code.",
	},
	"refer.no_reading": {
		"lt": "Kreipkitės į apsaugą. Nepavyko išmatuoti Jūsų temperatūros.",
		"pl": "Prosimy podejść do ochrony. Nie udało się zmierzyć temperatury.",
		"ru": "Обратитесь к охраннику. Не удалось измерить Вашу температуру.",
		"en": "Please see the guard. We could not measure your temperature.",
	},
	"refer.sensor_fault": {
		"lt": "Kreipkitės į apsaugą. Termometras neveikia.",
		"pl": "Prosimy podejść do ochrony. Termometr nie działa.",
		"ru": "Обратитесь к охраннику. Термометр не работает.",
		"en": "Please see the guard. The thermometer is not working.",
	},
	"refer.storage": {
		"lt": "Kreipkitės į apsaugą. Nepavyko išsaugoti patikros rezultato.",
		"pl": "Prosimy podejść do ochrony. Nie udało się zapisać wyniku kontroli.",
		"ru": "Обратитесь к охраннику. Не удалось сохранить результат проверки.",
		"en": "Please see the guard. Your check could not be saved.",
	},
}
