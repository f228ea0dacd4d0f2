"""Who speaks in a clause: the grammar of attribution that `classify` asks of each clause.

Pure, like classify; the story's names and verbs come from the watch (`Matchers`), and
this module only knows how any story's sentences say who said something:

    named_speaker     a party's alias as the subject of a speech cue: before it ("Meta
                      confirms", "LeCun: 'I…'"), inverted after it ("Das bestätigte ein
                      Meta-Sprecher"), after a comma ("…, said Meta") or as a passive's
                      agent ("confirmed on Monday by Meta")
    role_speaker      a spokesperson named by role alone ("a company spokeswoman said"),
                      who speaks for the headline's company (`voice`)
    referred_speaker  a pronoun or a word for a person ("he said", "a-t-il précisé", "the
                      Turing Award winner told"), or an interview's "A:", that refers back
                      to the last subject named (`Referents`)
    transcript        in a transcript ("HOST: … LECUN: Yes. I'll be there until…"), the
                      party whose speaker label a clause falls under

An alias is not a speaker when it is the object of a verb or preposition ("leaving Meta",
"chez Meta"), a possessive ("Meta's chief AI scientist said": the scientist speaks), or
the modifier of someone else ("a Zuckerberg confidant says", "Meta insiders say"). A name
inside a quotation that closes before the verb is quoted, not speaking ("« Je ne quitte
pas Meta » : Yann LeCun dément"); a verb with its own subject after a comma is that
subject's ("LeCun is leaving Meta, the Financial Times said"), unless that subject is a
word for the person the clause opens on ("…, the Turing Award winner said").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from monitor.watch import Matchers

__all__ = [
    "ANSWER",
    "BACK_REFERENCE",
    "CAPITALISED",
    "COMPANY_WORDS",
    "LABEL_WORDS",
    "PERSON_WORDS",
    "TIME_CODE",
    "WHOLE_QUOTE",
    "Referents",
    "Transcript",
    "headline_voice",
    "named_speaker",
    "negated",
    "negated_after",
    "referred_speaker",
    "role_speaker",
    "title_case",
    "transcript",
    "verb_first",
]

# A quotation, closed: in double quotes or guillemets (Danish's point inwards: »…«,
# Swedish and Finnish close on both sides: ”…”), or in single quotes, where an
# apostrophe before a letter ("I'm", "LeCun's") is no closing quote.
WHOLE_QUOTE = re.compile(
    r"\"[^\"]*\"|“[^”]*”|«[^»]*»|»[^«»]*«|”[^”]*”|„[^“”]*[“”]|(?<![\w'])'(?:[^']|'(?=\w))*'(?!\w)"
)

# A negation right before a cue cancels it ("could not confirm", "n'a pas confirmé",
# "均未回应"); one word may sit in between ("did not immediately respond").
_NEGATION = re.compile(
    r"(?:\b(?:not|no|never|neither|nor|without|cannot|pas|ne|ni|non|sans|jamais|nunca|nicht|kein"
    # Dutch, Portuguese, Romanian, Polish, Russian and Ukrainian, Hungarian, Greek; and
    # English's "has yet to confirm" (it has not).
    r"|niet|não|nu|nie|не|nem|δεν|yet to)|n't"
    # French elides "ne" before a vowel: "ni LeCun ni Meta n'ont confirmé" (ni … ni, no "pas").
    r"|\bn'[^\W\d_]+)"
    r"\s+(?:[\w']+\s+)?$"
    # "Ni LeCun ni Meta han confirmado", "weder LeCun noch Meta haben … bestätigt": the
    # second "ni" may sit a few words before the verb.
    r"|\b(?:ni|neither|weder|nem)\s+[^.;]*?\b(?:ni|nor|noch|nem)\s+(?:[\w'-]+\s+){0,3}$"
    r"|\b(?:declined|declines|refused|refuses|refuse|unable|failed|fails)\s+(?:to|de)\s+$"
    r"|[未不没無无][\u4e00-\u9fff]{0,2}$",
    re.IGNORECASE,
)

_NEGATION_REACH = 32  # characters before a cue searched for a negation

# German and Dutch negate a main clause's verb at the clause's end: "Meta bestätigte den
# Bericht zunächst nicht" (did not confirm it), "Meta bevestigde het nieuws niet". Not past
# a comma: "Meta bestätigte, dass LeCun Meta nicht verlässt" negates the clause after it.
# The Scandinavian languages, and Dutch and German before an object clause, put it right
# after the verb, or after the subject the verb is inverted with: "Meta bekräftade inte
# uppgifterna", "Meta bekræftede ikke", "Meta bevestigde niet dat…", "bekreftet Meta ikke".
_NOT_AFTER = re.compile(
    r"[^,;:.!?„“”\"«»]*?\b(?:nicht|niet)\b(?:\s+(?:mehr|offiziell|öffentlich|officieel))?\s*(?:[,;:.!?]|$)"
    r"|\s+(?:[\w-]+\s+)?(?:inte|ikke|ej|niet|nicht)\b",
    re.IGNORECASE,
)

# Nouns that make an alias before them a modifier of someone else, who is then the one
# speaking: "a Zuckerberg confidant says", "Meta insiders say", "Meta engineers wrote";
# or of something: "LeCun exit confirmed by Meta", "a Yann LeCun startup, said …".
# Spokespeople are not among them: "Meta spokesperson" is an alias of the party itself.
_PROXY = re.compile(
    r"\s+(?:confidant|confidante|friend|ally|allies|insiders?|employees?|staffers?|workers?|"
    r"engineers?|researchers?|scientists?|executives?|investors?|advis[eo]rs?|associates?|"
    r"colleagues?|critics?|watchers?|veterans?|alum(?:ni|nus|na)?|sources?|rivals?|biographer|"
    r"exit|departure|rumou?rs?|saga|startup|start-up|venture)\b",
    re.IGNORECASE,
)

# Words after which a name is an object, not the one speaking ("plans to leave Meta,
# Hinton told…"). Chinese markers sit right before the name ("离开Meta").
_OBJECT_WORDS = frozenset(
    {
        *("leave", "leaves", "leaving", "left", "quit", "quits", "quitting", "exit", "exits"),
        *("exiting", "depart", "departs", "join", "joins", "joined", "joining"),
        *("at", "of", "to", "in", "from", "with", "for", "on", "about", "into", "over", "than"),
        *("within", "inside", "outside", "beyond", "without", "beside", "under", "by", "as"),
        # Verbs whose object he is: "Wang credited LeCun with building FAIR and said …".
        *("credited", "credits", "thanked", "thanks", "praised", "praises", "hailed", "lauded"),
        *("congratulated", "remercie", "remercié", "dankte", "dankt", "agradece", "agradeceu"),
        *("ringrazia", "ringraziato"),
        *("de", "du", "des", "chez", "à", "sur", "pour", "avec", "dans", "par", "quitter", "quitte"),
        *("zu", "zum", "zur", "von", "vom", "bei", "beim", "über", "für", "mit", "nach", "aus"),
        *("sobre", "con", "en", "para", "por", "desde", "dejar"),
        *("di", "del", "della", "dello", "dei", "degli", "dal", "dalla", "nel", "nella", "per", "su"),
        *("da", "dai", "dalle", "dagli", "al", "alla", "ai", "sul", "sulla"),
        # Swedish, Danish, Norwegian, with the negation between verb and object: "LeCun
        # lämnar inte Meta, säger han" is his.
        *("lämnar", "lämna", "forlader", "forlade", "forlater", "forlate", "inte", "ikke"),
        *("på", "hos", "för", "til", "fra", "om", "vid"),
        # Dutch: "Het vertrek van LeCun is bevestigd door Meta" is Meta's.
        *("van", "bij", "naar", "voor", "door", "uit", "aan", "op", "met", "verlaat", "verliet"),
    }
)

_OBJECT_CJK = ("离开", "加入", "仍在", "在", "对", "与", "和", "及", "向")

# A name right after "whether" or "if" is the subject of the question asked, not of the
# clause: "Meta won't say whether LeCun is leaving: 'Yann continues in his role'".
_ASKED_ABOUT = re.compile(r"\b(?:whether|if|ob|si)\s+$", re.IGNORECASE)

# Japanese marks a name's role after it: "Metaを" (object), "Metaの" (possessive), "に",
# "へ", "で", "と", "から"; the subject takes "は" or "が". An honorific may come between.
_OBJECT_JA = re.compile(r"(?:氏|さん)?(?:[をのにへでと]|から)")

# A name marked が after another subject marked は is a subordinate clause's subject: in
# "米メタの広報責任者は…、ルカン氏がFAIRの研究者に宛てた社内メモが本物であることを認めた" the
# PR head (は) confirms, not LeCun (the twelfth audit's duplicate). "では", "には" are not は.
# A title may come between the name and が, in kanji, katakana or Latin capitals but no
# particle: "…ヤン・ルカン主任AI科学者が年内に退社することを確認した" is Meta's (は) confirming.
_GA_JA = re.compile(r"(?:氏|さん|[\u30a0-\u30ff\u4e00-\u9fffA-Z]{1,12}?)?が")

_WA_JA = re.compile(r"(?<![でにとへ])は")
_TOPIC_JA = re.compile(r"(?:氏|さん|[\u30a0-\u30ff\u4e00-\u9fffA-Z（）]{1,16}?)?は")

# A Korean reported clause has its own subject (이/가) and ends in 다고/라고 before the verb
# of saying: in "메타 대변인은 르쿤이 떠난다고 확인했다" the spokesperson (은) confirms.
_KO_REPORTED = re.compile(r"(?:\s+\S*?)?[이가]\s.*?(?:다|라)고\s")

# Korean the same way, on the name or on a title of up to three words after it: "르쿤의"
# (possessive), "메타를" (object), "메타에서" (from), "얀 르쿤 최고AI과학자의", "얀 르쿤 수석 AI
# 과학자의" (the chief AI scientist's); the subject takes 은/는/이/가 ("메타 대변인은"), so a
# word of the title that ends in a particle ends the title.
_OBJECT_KO = re.compile(
    r"(?:\s+\S*[^\s이가은는을를의,.]){0,2}?(?:\s+\S*?)?(?:의|을|를|에게|에서|에|와|과|으로|로|보다)(?![^\s,.])"
)

# Turkish marks a name's case after an apostrophe; the subject has none: "Yann LeCun'un
# … haberleri yalanladı" (LeCun's), "LeCun'a" (to LeCun), "Meta'da" (at Meta). Not the
# ablative: "Yann LeCun'dan … yanıt" is an answer from him.
_CASE_TR = re.compile(r"['’](?:n?[iıuü]n|[dt][ae]|y?[ae]|y?[iıuü]|y?l[ae])(?=[\s,.;:!?\"”’]|$)")

_POSSESSIVE = re.compile(r"'s?(?![A-Za-z])")

_ROLE = re.compile(r"spokes|porte-parole|发言人", re.IGNORECASE)

_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\u024f']+|[\u3400-\u9fff]")

# Who speaks after the verb: "said Meta" (right after it, when a quote or a comma comes
# before it), or the passive's agent, in a few words and in other languages too: "confirmed
# by Meta", "confirmé mercredi par Meta", "confirmed in a note to staff from Chief AI
# Officer Alexandr Wang" (capitalised words only between the agent's mark and the name, so
# "by sources close to Meta" is not Meta speaking).
_AGENT_GAP_WORDS = 8

_AFTER_GAP = re.compile(
    rf"\s*(?:(?:[\w'-]+\s+){{0,{_AGENT_GAP_WORDS}}}?((?i:by|from|par|por|von|durch|door)\s+)(?:[A-Z][\w.'-]*\s+){{0,4}})?"
)

# The subject after the verb, in a language that puts its verb second: a German clause that
# opens on something else has its subject right after the verb ("Das bestätigte ein
# Meta-Sprecher am Mittwoch", "Am Mittwoch bestätigte LeCun seinen Abschied", "…, teilte
# Meta am Mittwoch mit"). Between verb and name only a nominative article and capitalised
# titles ("bestätigte Konzernchef Mark Zuckerberg"); then the article, or after the name a
# word that follows a German subject (am, mit, dem, seinen…), shows the order. English puts
# a name after a verb as its object ("told Meta on Monday", "confirmed Meta.") or as the
# subject of what is reported ("confirmed Meta will…", "confirmed LeCun, not Sutskever,
# will…"), so a comma or the clause's end shows nothing; and a verb of telling ("told")
# has its hearer there.
_V2_GAP = re.compile(r"\s+(?:(ein|eine|einer|der|die)\s+)?(?:[A-ZÄÖÜ][\w.-]*\s+){0,3}")

_V2_AFTER = re.compile(
    r"\s+(?:am|im|beim|vom|zum|zur|mit|gegenüber|auf|bei|nach|dem|den|der|des|einem|einer|"
    r"sein|seine[mnrs]?|ihr|ihre[mnrs]?|bereits|schon|nun|jetzt|heute|gestern|zudem|außerdem|ebenfalls|"
    r"auch|lediglich|nur|kürzlich|offiziell|inzwischen|zuletzt|noch|dazu|dabei|selbst)\b"
)

_TELLING = frozenset({"told", "tells", "tell", "telling"})

# The subject of a reporting verb that refers back to the person the clause opens on: "he",
# "she", or "the" and a word for a person, after a comma. Not a word for a company: in
# "LeCun will leave Meta, the company said" the company, not LeCun, speaks.
PERSON_WORDS = r"scientist|researcher|pioneer|winner|laureate|professor|founder|co-founder|cofounder"

_DESCRIPTOR = re.compile(
    rf",\s+(?:he|she|the\s+(?:[\w-]+\s+){{0,3}}?(?:{PERSON_WORDS}))\s+$",
    re.IGNORECASE,
)

# A spokesperson named by role alone, with an article ("a company spokeswoman", "um
# porta-voz", "ein Sprecher"; not "Google spokesperson": a name before the role is its
# owner, and an alias of a party is found as such); right before the verb, a few words
# between at most, or the agent after a passive ("confirmed by a company spokeswoman").
# "for …", "de …", "von …" after the role names whose it is (_ROLE_OWNER).
_ROLE_WORDS = (
    r"(?<![\w-])(?:an?|the|one|its|um|uma|un|une|una|ein|eine|einer|der|die|el|la|il|o|een|de|en|het)\s+"
    r"(?:(?:company|firm)(?:'s)?\s+)?"
    r"(?P<role>spokes(?:person|woman|man)|porte-parole|porta-voz|portavoz|portavoce"
    r"|(?:Konzern|Unternehmens|Firmen|Presse)?Sprecher(?:in)?|woordvoer(?:der|ster)"
    r"|tales(?:person|man|kvinna)|tals(?:person|mand|mann|kvinde)"
    # The company by a word for it, which speaks for itself as its spokesperson does.
    r"|tech giant|tech group|techconcern|techgigant|(?:Tech)?Konzern|tecnológica|techreus"
    r"|head of communications|communications (?:director|chief|head)|directeur de la communication"
    r"|directrice de la communication|director(?:a)? de comunicación|Kommunikationschef(?:in)?)\b"
)

_ROLE_BEFORE = re.compile(
    _ROLE_WORDS
    + r"(?:\s+(?:for|of|de|da|do|di|del|della|von|des|van|för)\s+[^,.;:]{1,40}?)?[\s,]+(?:\S+\s+){0,3}$",
    re.IGNORECASE,
)

_ROLE_AGENT = re.compile(
    r"\s+(?:\S+\s+){0,3}?(?:by|par|por|von|da|przez|door)\s+" + _ROLE_WORDS, re.IGNORECASE
)

# The role right after its verb, in a clause whose verb has nothing before it but a pronoun
# for the clause before (BACK_REFERENCE) or a closing quote: the subject inverted, as
# Dutch, German and the Romance languages put it ("Dat bevestigde een woordvoerder van
# Meta", "…», a indiqué un porte-parole"). Not after a subject: in "Meta confirmed a
# spokesperson's exit" the role is the object.
_ROLE_INVERTED = re.compile(r"\s+" + _ROLE_WORDS, re.IGNORECASE)

_ROLE_OWNER = re.compile(
    r"\s+(?:for|of|de|da|do|di|del|della|von|des|van|för)\s+(?:the\s+|la\s+|le\s+|a\s+|o\s+)?(?=[A-Z])"
)

# A pronoun for the clause before, opening a clause on its speech verb (after an
# auxiliary, in English and the Romance languages): "That was confirmed by …", "Das
# bestätigte …", "Cela a été confirmé par …", "Isso foi confirmado por …".
BACK_REFERENCE = re.compile(
    r"(?:That|This|It|Das|Dies|Dat|Dit|Cela|Ceci|Ce|Esto|Eso|Ello|Isso|Isto|Ciò|Questo)"
    r"(?:\s+(?P<aux>was|has been|had been|hat|heeft|werd|wurde|a été|fue|ha sido|foi|è stato|è stata|è))?\s+",
    re.IGNORECASE,
)

# A headline's source: "…, segundo a Meta", "according to Meta".
_SOURCE = re.compile(
    r"\b(?:according to|segundo|selon|según|secondo|laut)\s+(?:(?:a|o|la|le|el)\s+)?$", re.IGNORECASE
)

_PRONOUN_SAYS = re.compile(r",\s+(?:he|she)\s+$", re.IGNORECASE)

# A verb whose subject is a pronoun or a word for a person, and nothing else: "'Yes, I'm
# leaving,' he said", "Sur Threads, il a fait savoir…", "…, sagte er", "le chercheur a
# précisé". Who it is, the clauses before it tell (_referents); here only that it is
# someone referred to, not named. Not a pronoun of a clause that reports ("that he",
# "qu'il", "dass er"): that one is the object of another verb's words.
_REFERRED_PERSON = (
    rf"{PERSON_WORDS}|chercheur|scientifique|pionnier|intéressée?|Forscher|Wissenschaftler|Pionier"
    r"|Preisträger|investigador|científico|pionero|ricercatore|scienziato|pioniere|pesquisador"
    r"|cientista|pioneiro|onderzoeker|wetenschapper"
)

_REFERRED_ARTICLE = r"(?:(?:the|le|la|der|die|el|il|lo|o|het)\s+|l')"

_REFERRED_BEFORE = re.compile(
    r"(?:^|(?<=[\s,;:\"”»]))(?<!that )(?<!dass )(?<!que )(?<!who )(?<!which )"
    # Not someone's: "a friend of the researcher said".
    r"(?<!of )(?<!de )(?<!du )(?<!des )(?<!von )(?<!del )(?<!di )(?<!van )"
    # "il" alone: before a noun it is Italian's article.
    r"(?:(?:he|she|er|sie|hij|zij|él|ele|ela)(?:\s+[\w'’-]+)?|(?:il|elle)"
    rf"|{_REFERRED_ARTICLE}(?:[\w-]+\s+){{0,3}}?(?:{_REFERRED_PERSON})(?:\s+[\w'’-]+){{0,2}})\s+$",
    re.IGNORECASE,
)

# After the verb, where French, German and Dutch put the pronoun ("sagte er", "zei hij")
# and a descriptor may stand ("teilte der Wissenschaftler mit", "said the scientist").
_REFERRED_AFTER = re.compile(
    r"(?:-t-|\s+)(?:il|elle|er|sie|hij|zij)\b"
    rf"|\s+{_REFERRED_ARTICLE}(?:[\w-]+\s+){{0,2}}?(?:{_REFERRED_PERSON})\b",
    re.IGNORECASE,
)

# An interview's answer: "Q: Are you leaving Meta? A: …" is the one interviewed speaking.
ANSWER = re.compile(r"\s*A\s*:")
# A transcript's speaker label opening a clause: "HOST:", "LECUN:", "SZ:", "Yann LeCun:",
# "[00:04] BOSWORTH:" (a time code first). A word or three, then the colon and a space;
# classify reads an answer after one (LABEL_WORDS, TIME_CODE).
LABEL_WORDS = r"[^\W\d_][\w.'’-]*(?: [^\W\d_][\w.'’-]*){0,2}"
TIME_CODE = r"(?:\[[\d:]+\]\s*)?"
_LABEL = re.compile(rf"\s*{TIME_CODE}({LABEL_WORDS})\s?:\s")
# Labels that make a text a transcript: two different ones open its clauses (one alone is
# a headline's "Yann LeCun: Why I'm leaving" or an "Update:").
_TRANSCRIPT_LABELS = 2

_REFERRED_IN_CUE = re.compile(r"-(?:t-)?(?:il|elle)\b", re.IGNORECASE)

# Two or three capitalised words: a name ("Dana Whitfield", "Alexandr Wang"), or a
# newspaper's or a place's, which a pronoun after it might refer to as well. Not a word a
# sentence opens on: "Sur Threads, il a fait savoir…" names Threads alone.
_SENTENCE_OPENERS = (
    "The|A|An|In|On|At|By|For|From|With|After|Before|Asked|Meanwhile|Inside|Speaking|Le|La|Les|Un|Une"
    "|Sur|Dans|Après|Avant|Chez|Pour|Selon|Interrogé|Invité|Der|Die|Das|Ein|Eine|Im|Am|Auf|Bei|Laut|Nach"
    "|El|Los|Las|Según|Tras|Il|Lo|Nel|Secondo|Dopo|O|Os|Na|No|Segundo|Após|Het|De|Een"
)

_PRONOUNS = r"He|She|It|We|They|You|Il|Elle|On|Nous|Ils|Elles|Je|Er|Sie|Es|Wir|Ich|Hij|Zij|Wij|Ik"

# One capitalised word a clause opens on, then a verb in the third person or the past:
# "Hinton thinks…", "Hinton argued…"; not a participle ("Pressed repeatedly…", "Asked
# about…"), an adverb ("Later he…") or a pronoun ("Er bleibe…").
_OPENING_NAME = re.compile(
    rf"[\s'\"“‘«„(]*(?!(?:{_SENTENCE_OPENERS}|{_PRONOUNS})\b)[A-Z][\w'’-]*[a-z][\w'’-]*(?<!ed)(?<!ing)"
    r"\s+[a-z]+(?:s|ed)\b"
)

_NAME_LIKE = re.compile(
    rf"(?<![\w'’-])(?!(?:{_SENTENCE_OPENERS})\s)[A-Z][\w'’-]*[a-z][\w'’-]*"
    r"(?:\s+[A-Z][\w'’-]*[a-z][\w'’-]*){1,2}(?![\w'’-])"
)

# A verb with its own subject after a comma, a few words before it: the name before that
# comma is not the one speaking ("LeCun will leave Meta, the newspaper said"). An
# apposition ends on its comma ("LeCun, Meta's chief AI scientist, said") and does not count.
# ...and the words by which a company speaks, which refer back to a company the clause
# opens on: "Meta will neither confirm nor deny the reports, a spokesperson said".
COMPANY_WORDS = r"company|firm|group|spokes(?:person|woman|man)"

_VOICE = re.compile(
    rf",\s+(?:it|(?:the|a|an|its)\s+(?:[\w-]+\s+){{0,2}}?(?:{COMPANY_WORDS}))\s+$",
    re.IGNORECASE,
)

# "…, said Hinton on Monday": a comma before the verb, then who speaks (_after_comma): the
# words up to the next mark, not opening on an adverbial or a pronoun, holding a capital
# and no verb of a reported clause ("…, says Paris will be HQ").
_COMMA_BEFORE = re.compile(r"[,'\"”’»]\s*$")

_TAIL = re.compile(
    r"\s+(?!(?:on|in|at|during|last|this|yesterday|today|earlier|after|before|when|while|that|he|she|it|"
    r"they|we|I|am|im|heute|gestern|er|sie|es|il|elle|que|dass|che)\b|qu')[^,.;:!?()\"”»]+",
    re.IGNORECASE,
)

_REPORTED_CLAUSE = re.compile(
    r"\b(?:will|would|is|are|was|were|has|have|had|can|could|may|might|should|must|plans?|wants?|"
    r"intends?|wird|werde|ist|sei|hat|habe|va|sera|est)\b",
    re.IGNORECASE,
)

_OWN_SUBJECT = re.compile(r",\s+(?:[^\s,]+\s+){1,6}$")
# A Turkish object clause ends in a verb made a noun in the accusative ("-acağını",
# "-dığını", "-masını": that he will leave, that he left). Right before the verb, the
# words after a comma are no subject ("Meta sözcüsü Dave Arnold, LeCun'un şirketten
# ayrılacağını doğruladı" is the spokesman's); words after it are ("LeCun'un Meta'dan
# ayrılacağını Financial Times doğruladı" is the FT's).
_OBJECT_CLAUSE_TR = re.compile(r"(?:[ae]c[ae][ğk]|[dt][ıiuü][ğk]|m[ae]s)[ıiuü]n[ıiuü]\s+")

_OPENING = " \t\n'\"“‘«„([-–—"

_LAST_WORD = re.compile(r"([A-Za-z\u00c0-\u024f']+)\s+$")  # only spaces between it and the name

# A quotation that closes between a name and the verb puts the name inside the quote:
# "« Je ne quitte pas Meta » : Yann LeCun dément". Whole quotations in between are not
# ("Yann LeCun dans « La Matinale » : « … »"); an apostrophe closes one only with no
# letter after it ("Meta's") and no plural's "s" before it ("Meta Platforms' chief").
_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|„[^“]*“|\"[^\"]*\"")

_QUOTE_CLOSES = re.compile(r"[»”“\"]|(?<![s\s])'(?![A-Za-z])")

_QUOTE_END = re.compile(r"[,'\"”“’»]\s*$")  # “ closes a German quote

# The capitalised words a third-person possessive may refer back to: the nearest one
# counts, passing over all-capitals words ("AI", "NYU"), speech verbs ("LeCun Says His…"
# in a title-case headline) and a party's possessive ("LeCun, Meta's chief AI scientist,
# said his…"). In "LeCun backs Fei-Fei Li's lab, says her startup…" the startup is Li's.
CAPITALISED = re.compile(r"(?<![\w'-])[A-Z][\w'-]*")


def headline_voice(title: str, m: Matchers, about: str) -> str | None:
    """The party other than `about` that the headline opens on as its subject ("Meta sets
    LeCun's last day…") or gives as its source ("…, segundo a Meta"): the company a
    spokesperson named by role alone speaks for (_ROLE_BEFORE, _ROLE_AGENT). Failing that,
    the one such party the headline names at all ("Wie Meta auf den Abgang … reagiert",
    "…: la réplica de Meta"): a spokesperson the story does not place elsewhere is its."""
    named = set()
    for alias in m.aliases.finditer(title) if m.aliases else ():
        party = m.party(alias.group())
        if party is None or party == about:
            continue
        opens = not title[: alias.start()].strip(_OPENING) and _is_subject(title, alias)
        if opens or _SOURCE.search(title, 0, alias.start()):
            return party
        named.add(party)
    return named.pop() if len(named) == 1 else None


def negated(text: str, start: int) -> bool:
    """Whether a negation comes right before `start` (_NEGATION): "could not confirm"."""
    return _NEGATION.search(text[max(0, start - _NEGATION_REACH) : start]) is not None


def negated_after(text: str, end: int) -> bool:
    """Whether a negation after a verb ending at `end` negates it (_NOT_AFTER): "Meta
    bestätigte den Bericht nicht", "Meta bekräftade inte"."""
    return _NOT_AFTER.match(text, end) is not None


def named_speaker(clause: str, m: Matchers, window: int, about: str) -> tuple[str, str] | None:
    """(party, "alias … speech cue") for the first speech cue with a party speaking it."""
    if m.speech is None or m.aliases is None:
        return None
    aliases = list(m.aliases.finditer(clause))
    if not aliases:
        return None
    for cue in m.speech.finditer(clause):
        if negated(clause, cue.start()):
            continue
        named_after_comma, alias = _after_comma(clause, aliases, cue)
        if not named_after_comma:
            alias = (
                _inverted(clause, aliases, cue)
                or _subject_before(clause, aliases, cue.start(), window)
                or _named_after(clause, aliases, cue)
                or _described(clause, aliases, cue.start(), m, about)
            )
        if (
            alias is not None
            and (party := m.party(alias.group()))
            and not _former(clause, alias.start(), party, about)
        ):
            return party, f"{alias.group()} … {cue.group().strip()}"
    return None


# Who no longer speaks for a company: "Former Meta CTO Mike Schroepfer said…", "a former
# Meta spokesperson" (false alerts found by probing, 2026-11-25). Not of the person watched:
# "former FAIR director Yann LeCun" is still he.
_FORMER = re.compile(
    r"(?<![\w-])(?:former|ex|one-?time|erstwhile|ehemalige[rmns]?|ancien(?:ne)?|antigu[oa]|voormalige?"
    r"|tidigare|tidligere|był[ya])[\s-]+(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)


def _former(clause: str, at: int, party: str, about: str) -> bool:
    """Whether the name at `at` is introduced as the company's former man or woman."""
    return party != about and _FORMER.search(clause, 0, at) is not None


def _after_comma(
    clause: str, aliases: list[re.Match[str]], cue: re.Match[str]
) -> tuple[bool, re.Match[str] | None]:
    """After a comma or a closing quote, the one named right after the verb speaks: "…,
    said Hinton on Monday", "…, says Paris-based investor Anne Roux" (True, None: someone
    else), "…, confirmed Meta spokesperson Dave Arnold" (True, the party's alias). (False,
    None) when the words after the verb are a reported clause ("…, says Paris will be HQ":
    the headline's subject says it), an adverbial, or name no one: the other rules decide."""
    if not (cue.group()[:1].isalpha() and _COMMA_BEFORE.search(clause, 0, cue.start())):
        return False, None  # a verb only: not the marks of "LeCun : « Je … »"
    tail = _TAIL.match(clause, cue.end())
    if tail is None or _REPORTED_CLAUSE.search(tail.group()) or not CAPITALISED.search(tail.group()):
        return False, None
    inside = (a for a in aliases if cue.end() <= a.start() < tail.end())
    return True, next((a for a in inside if not _modifies_another(clause, a)), None)


def role_speaker(clause: str, m: Matchers, voice: str | None) -> tuple[str, str] | None:
    """(party, "role … speech cue") for a spokesperson named by role alone, right before a
    speech cue ("um porta-voz afirmou", "a company spokeswoman said") or its passive agent
    ("confirmed by a company spokeswoman"): the party the role's own "for …" names, else
    the headline's company (`voice`)."""
    if m.speech is None:
        return None
    for cue in m.speech.finditer(clause):
        if negated(clause, cue.start()):
            continue
        role = (
            _ROLE_BEFORE.search(clause, 0, cue.start())
            or _ROLE_AGENT.match(clause, cue.end())
            or (_ROLE_INVERTED.match(clause, cue.end()) if verb_first(clause, cue.start()) else None)
        )
        if role and _FORMER.search(clause, 0, role.start("role")):
            continue  # "a former Meta spokesperson said"
        if role and (party := _role_party(clause, role, m, voice)):
            return party, f"{role.group('role')} … {cue.group().strip()}"
    return None


def verb_first(clause: str, at: int) -> bool:
    """Whether nothing before the verb at `at` can be its subject: the clause opens on it,
    on a pronoun for the clause before (BACK_REFERENCE), or after a closing quote or a comma
    ("LeCun werde … verlassen, teilte eine Sprecherin mit")."""
    before = clause[:at]
    if not before.strip() or _QUOTE_END.search(before):
        return True
    opening = BACK_REFERENCE.match(clause)
    return opening is not None and opening.end() == at


def _role_party(clause: str, role: re.Match[str], m: Matchers, voice: str | None) -> str | None:
    """Whose the role is: a name after "for"/"de"/"von" (a party's, or someone else's:
    None), else `voice`."""
    owner = _ROLE_OWNER.match(clause, role.end("role"))
    if owner is None:
        return voice
    named = m.aliases.match(clause, owner.end()) if m.aliases else None  # "for Meta": Meta's
    return m.party(named.group()) if named else None


def referred_speaker(
    clause: str, m: Matchers, referent: Callable[[], str | None], about: str
) -> tuple[str, str] | None:
    """(party, "pronoun … speech cue") for a verb whose subject only refers to someone
    (_REFERRED_BEFORE: "he said", "il a fait savoir", "le chercheur a précisé"; or after
    it: "sagte er", "a-t-il précisé"), or for an interview's answer ("A: …"): the party
    the clause names as a subject before it, else the `referent` the clauses before give
    (Referents)."""
    if ANSWER.match(clause):  # "A: I'm not confirming anything"
        return (who, "A:") if (who := referent()) else None
    if m.speech is None:
        return None
    for cue in m.speech.finditer(clause):
        if negated(clause, cue.start()):
            continue
        verb = cue.group().strip()
        before = _REFERRED_BEFORE.search(clause, 0, cue.start())
        # After "told" comes whom he told: "the company told the researcher…".
        after = None if cue.group().casefold() in _TELLING else _REFERRED_AFTER.match(clause, cue.end())
        if before:
            said = f"{before.group().strip()} … {verb}"
        elif after or _REFERRED_IN_CUE.search(verb):  # "sagte er", "a-t-il précisé"
            said = f"{verb}{after.group() if after else ''}"
        else:
            continue
        inner = _named_before(clause[: before.start() if before else cue.start()], m, about)
        if who := referent() if inner is None else inner:
            return who, said
    return None


def _named_before(prefix: str, m: Matchers, about: str) -> str | None:
    """Whom the clause itself names as a subject before its pronoun (as _topic, quotations
    left out); "" when that is the `about` party, whose own clause the other speaker rules
    read ("Hinton thinks LeCun will leave Meta, he said": Hinton's words), or a single
    name the clause opens on ("Hinton thinks Meta will let him go, he said")."""
    text = WHOLE_QUOTE.sub(" ", prefix)
    topic = _topic(text, m, about, names=True)
    if topic == about or (topic is None and _OPENING_NAME.match(text)):
        return ""
    return topic


@dataclass(frozen=True, slots=True)
class Transcript:
    """Who speaks in each clause of a transcript, by its speaker labels, and what was said
    to each turn: the turn before it, which the first clause of a turn answers."""

    speakers: list[tuple[str, str] | None]  # (party, "LABEL:") when the label is an alias
    before: list[str]  # for the clause opening a turn, the whole turn before it; else ""


def transcript(clauses: list[str], m: Matchers) -> Transcript | None:
    """The clauses as a transcript: each falls under the last speaker label at or before it
    ("LECUN:", "Bosworth:", "SZ:"); None when the text is no transcript (_TRANSCRIPT_LABELS)."""
    labels = [_LABEL.match(clause) for clause in clauses]
    if len({label.group(1).casefold() for label in labels if label}) < _TRANSCRIPT_LABELS:
        return None
    speakers: list[tuple[str, str] | None] = []
    before: list[str] = []
    current: tuple[str, str] | None = None
    turn = 0
    for i, label in enumerate(labels):
        if label is not None:
            party = _labelled_party(label.group(1), m)
            current = (party, f"{label.group(1)}:") if party else None
            # "SZ: … hieß es, Sie verlassen Meta. Tun Sie es? LeCun: …" answers the whole turn.
            before.append(" ".join(clauses[turn:i]))
            turn = i
        else:
            before.append("")
        speakers.append(current)
    return Transcript(speakers, before)


def _labelled_party(label: str, m: Matchers) -> str | None:
    """The party a speaker label names: an alias whole ("LeCun", or in capitals "LECUN")."""
    if m.aliases is None:
        return None
    match = m.aliases.match(label)
    return m.party(match.group()) if match is not None and match.end() == len(label) else None


class Referents:
    """For each clause, the party whom "he" or "the researcher" refers to there: the one
    that was the subject of the last clause before it that had a subject named (or written
    as a name, from clause `names_from` on). None when that was no party, or none was yet.
    Worked out when a clause first asks: most items' speakers are named."""

    def __init__(self, clauses: list[str], m: Matchers, about: str, names_from: int) -> None:
        self._args = (clauses, m, about, names_from)
        self._found: list[str | None] | None = None

    def at(self, i: int) -> str | None:
        if self._found is None:
            self._found = _referents(*self._args)
        return self._found[i]


def _referents(clauses: list[str], m: Matchers, about: str, names_from: int) -> list[str | None]:
    referents: list[str | None] = []
    current: str | None = None
    for i, clause in enumerate(clauses):
        referents.append(current)
        topic = _topic(clause, m, about, names=i >= names_from)
        if topic is not None:
            current = topic or None
    return referents


def _topic(text: str, m: Matchers, about: str, *, names: bool) -> str | None:
    """The party that is the first subject `text` names: the `about` party, or another
    party by the name of one of its people ("Zuckerberg", "a Meta spokesperson"; not by
    the party's own name: a company is not "he"). "" for anyone else written as a name
    (_NAME_LIKE, when `names`), None when no one is named as a subject."""
    found = list(m.aliases.finditer(text)) if m.aliases else []
    if names:
        # Not a name the watch's subject gives the new company ("…, Advanced Machine
        # Intelligence, Yann LeCun ha fissato…"): a company is not "he".
        found += [
            n
            for n in _NAME_LIKE.finditer(text)
            if not any(_overlap(n, a) for a in found) and not _subject_name(n, m)
        ]
    for match in sorted(found, key=lambda x: x.start()):
        if not _is_subject(text, match):
            continue
        party = m.party(match.group()) if match.re is not _NAME_LIKE else None
        if party == about or (party is not None and party != match.group()):
            return party
        if party is None:
            return ""
    return None


def _subject_name(name: re.Match[str], m: Matchers) -> bool:
    term = m.subject.match(name.string, name.start()) if m.subject else None
    return term is not None and term.end() >= name.end()


def _overlap(a: re.Match[str], b: re.Match[str]) -> bool:
    return a.start() < b.end() and b.start() < a.end()


def _topic_ja(clause: str, aliases: list[re.Match[str]], at: int) -> re.Match[str] | None:
    """A Japanese topic, the name marked は, is the subject of the verb that ends its
    sentence however far: "米メタは19日、…ルカン主任AI科学者が年内に退社することを確認した"."""
    for alias in aliases:
        if (
            _TOPIC_JA.match(clause, alias.end())
            and "。" not in clause[alias.end() : at]
            and _is_subject(clause, alias)
        ):
            return alias
    return None


def title_case(title: str) -> bool:
    words = title.split()
    return sum(w[:1].isupper() for w in words) > len(words) / 2


def _subject_before(clause: str, aliases: list[re.Match[str]], at: int, window: int) -> re.Match[str] | None:
    """The nearest alias before `at` that is the subject of the clause, not an object."""
    before = [a for a in aliases if a.end() <= at]
    for alias in reversed(before):
        between = clause[alias.end() : at]
        if len(_TOKEN.findall(between)) > window:
            return _topic_ja(clause, before, at)
        if _inside_quote(clause, alias, at) or _KO_REPORTED.match(clause, alias.end(), at):
            # Quoted, or the subject of a Korean reported clause: the speaker is before it,
            # or after the verb ("« Je ne quitte pas Meta » : Yann LeCun …").
            continue
        object_tr = _OBJECT_CLAUSE_TR.search(between)
        if object_tr is not None and object_tr.end() < len(between):
            return None  # the subject is written between the object clause and the verb
        if _OWN_SUBJECT.search(between) and object_tr is None:
            return None  # "LeCun is leaving Meta, the Financial Times said": the FT speaks
        if _is_subject(clause, alias):
            return alias
    return None


def _is_subject(clause: str, alias: re.Match[str]) -> bool:
    if _modifies_another(clause, alias):
        return False
    before, after = clause[: alias.start()], alias.end()
    if before.endswith((*_OBJECT_CJK, "-")) or _OBJECT_JA.match(clause, after):
        return False  # "-": inside a compound ("his post-Meta startup")
    if _OBJECT_KO.match(clause, after) or _CASE_TR.match(clause, after):
        return False  # a case marked after the name: Korean particles, Turkish suffixes
    if _GA_JA.match(clause, after) and _WA_JA.search(before):
        return False
    if _ASKED_ABOUT.search(before):
        return False  # "Meta Won't Say Whether Yann LeCun Is Leaving: '…'": Meta speaks
    last = _LAST_WORD.search(before)
    return last is None or last.group(1).casefold() not in _OBJECT_WORDS


def _inside_quote(clause: str, alias: re.Match[str], at: int) -> bool:
    """Whether a quotation that holds `alias` closes before `at` (`_QUOTE_CLOSES`); read
    from the name's last letter, which the apostrophe's lookbehind needs."""
    return _QUOTE_CLOSES.search(_QUOTED.sub("", clause[alias.end() - 1 : at])) is not None


def _described(
    clause: str, aliases: list[re.Match[str]], at: int, m: Matchers, about: str
) -> re.Match[str] | None:
    """The name the clause opens on, when the verb's own subject only describes it: "LeCun
    will leave Meta at year-end, the Turing Award winner said", "…, he wrote"; and for a
    party other than the watch's `about` one, its voice: "Meta will neither confirm nor deny
    the reports, a spokesperson said". Not "the newspaper said" or "the person said", and
    not "LeCun will leave Meta, the company said" (the company is not LeCun)."""
    first = next((a for a in aliases if a.end() <= at), None)
    if first is None or clause[: first.start()].strip(_OPENING) or _inside_quote(clause, first, at):
        return None  # the clause must open on the name: not "Hinton thinks LeCun will leave, he said"
    if _his_own(clause, aliases, first, at, m=m, about=about):
        return first
    if not _is_subject(clause, first):
        return None
    if _DESCRIPTOR.search(clause, 0, at):
        return first
    voice = _VOICE.search(clause, 0, at) is not None
    return first if voice and m.party(first.group()) != about else None


def _his_own(
    clause: str, aliases: list[re.Match[str]], first: re.Match[str], at: int, *, m: Matchers, about: str
) -> bool:
    """ "LeCun's new company will be based in Paris, he said": "he" is the one whose company
    it is, when the clause opens on the `about` party's possessive (a person's: "Meta's
    plans…, he said" is someone else's words) and names no other party before the verb."""
    if m.party(first.group()) != about or not _POSSESSIVE.match(clause, first.end()):
        return False
    others = any(m.party(a.group()) != about for a in aliases if first.end() <= a.start() < at)
    return not others and _PRONOUN_SAYS.search(clause, 0, at) is not None


def _modifies_another(clause: str, alias: re.Match[str]) -> bool:
    """Whether the alias names someone else: "Meta's chief AI scientist" (a possessive,
    unless the alias is a spokesperson's), "a Zuckerberg confidant"."""
    possessive = _POSSESSIVE.match(clause, alias.end()) is not None and not _ROLE.search(alias.group())
    return possessive or _PROXY.match(clause, alias.end()) is not None


def _inverted(clause: str, aliases: list[re.Match[str]], cue: re.Match[str]) -> re.Match[str] | None:
    """The subject a verb-second clause puts right after its verb (_V2_GAP, _V2_AFTER):
    "Das bestätigte ein Meta-Sprecher", "…, teilte Meta am Mittwoch mit", or a verb-first
    one: "قال يان ليكون إنه…". It comes before
    a name earlier in the clause, which is then another verb's ("LeCun verlässt Meta, …")."""
    after = next((a for a in aliases if a.start() >= cue.end()), None)
    if (
        after is not None
        and not clause[: cue.start()].strip()
        and not clause[cue.end() : after.start()].strip()
    ):
        # A clause that opens on its verb, the subject next: Arabic's verb-first order
        # ("قال يان ليكون إنه…": "said Yann LeCun that he…").
        return None if _modifies_another(clause, after) else after
    gap = _V2_GAP.fullmatch(clause, cue.end(), after.start()) if after else None
    if after is None or gap is None or cue.group().casefold() in _TELLING:
        return None
    if not (gap.group(1) or _V2_AFTER.match(clause, after.end())):
        return None
    return None if _modifies_another(clause, after) else after


def _named_after(clause: str, aliases: list[re.Match[str]], cue: re.Match[str]) -> re.Match[str] | None:
    """Speakers named after the verb: "…,' said Meta", "confirmed on Monday by Meta"."""
    after = next((a for a in aliases if a.start() >= cue.end()), None)
    if after is None:
        return None
    gap = _AFTER_GAP.fullmatch(clause[cue.end() : after.start()])
    quoted = _QUOTE_END.search(clause[: cue.start()]) is not None
    if not (gap and (quoted or gap.group(1))):
        return None
    # "'I'm leaving': LeCun's colleague Joelle Pineau confirms": the colleague speaks.
    return None if _modifies_another(clause, after) else after
