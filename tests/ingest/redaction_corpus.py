"""Redaction corpora: hostile strings, each with the part that must not survive, and ordinary
feedback that must come back byte for byte.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

NBSP, NNBSP, ZWSP = "\u00a0", "\u202f", "\u200b"


def _arabic(s: str) -> str:
    return s.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def _fullwidth(s: str) -> str:
    return s.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def _b64(obj: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


JWT = (
    _b64({"alg": "HS256", "typ": "JWT"})
    + "."
    + _b64({"sub": "1234567890", "name": "Jane Doe", "iat": 1516239022})
    + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----"
)
OPENSSH = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDx3Yx1Q9f0d3f0mKqW1yK5J8cV7l2b0s3n4P9r8Q2wUwAAAJg=\n"
    "-----END OPENSSH PRIVATE KEY-----"
)

# (text, the part that must be gone)
HOSTILE: list[tuple[str, str]] = [
    # e-mail addresses
    ("mail me at jane.doe+ai@example.com please", "jane.doe+ai@example.com"),
    ("Jane.Doe@Example.COM wrote the prompt", "Jane.Doe@Example.COM"),
    ("write to josé@exämple.de for access", "josé@exämple.de"),
    ("the bot runs as root@localhost on the box", "root@localhost"),
    ("ping admin@intranet about it", "admin@intranet"),
    ("contact 用户@例子.广告 for the Chinese rollout", "用户@例子.广告"),
    ("ask <m.rossi@azienda.it> for the licence", "m.rossi@azienda.it"),
    ("mailto:o'brien@example.ie was in the log", "o'brien@example.ie"),
    ("reach me at jane(at)example(dot)com", "jane(at)example(dot)com"),
    ("reach me at jane [at] example [dot] org", "jane [at] example [dot] org"),
    (f"my address:{NBSP}pat.lee@corp.example.co.uk", "pat.lee@corp.example.co.uk"),
    ("fullwidth ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ address", "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
    (f"zero width jane{ZWSP}.doe@example.com trick", f"jane{ZWSP}.doe@example.com"),
    # phone numbers
    ("call +44 20 7946 0958 today", "7946 0958"),
    ("my phone is (555) 123-4567", "123-4567"),
    ("mobile 06 12 34 56 78 après 18h", "06 12 34 56 78"),
    ("bureau +33 1 42 68 53 00", "42 68 53 00"),
    ("tél. 01.42.68.53.00", "01.42.68.53.00"),
    (f"French with nbsp +33{NBSP}6{NBSP}12{NBSP}34{NBSP}56{NBSP}78", f"12{NBSP}34{NBSP}56"),
    (f"narrow nbsp 06{NNBSP}12{NNBSP}34{NNBSP}56{NNBSP}78", f"34{NNBSP}56{NNBSP}78"),
    ("Indian mobile +91 98765 43210", "98765 43210"),
    ("call 098765 43210 in Pune", "98765 43210"),
    ("Mumbai office +91 22 2778 1234", "2778 1234"),
    ("Japanese mobile 090-1234-5678", "1234-5678"),
    ("Tokyo office 03-1234-5678", "1234-5678"),
    ("+81 3 1234 5678 is the desk", "1234 5678"),
    ("Australian mobile 0412 345 678", "345 678"),
    ("Sydney desk (02) 9876 5432", "9876 5432"),
    ("+61 412 345 678 after hours", "345 678"),
    ("US desk (201) 555-0123", "555-0123"),
    ("call 212-555-0199 for help", "555-0199"),
    ("UK mobile 07400 123456", "123456"),
    ("+44 7400 123456 is my cell", "123456"),
    ("Berlin +49 30 901820", "901820"),
    ("Amsterdam +31 6 12345678", "12345678"),
    ("Madrid +34 612 34 56 78", "34 56 78"),
    ("Milano +39 312 345 6789", "345 6789"),
    ("São Paulo +55 11 96123-4567", "96123-4567"),
    ("tel:+14155552671 in the signature", "4155552671"),
    (f"Arabic-Indic digits {_arabic('+971 50 123 4567')}", _arabic("123 4567")),
    (f"fullwidth {_fullwidth('+33 6 12 34 56 78')}", _fullwidth("12 34 56")),
    ("dots +1.415.555.2671 work too", "555.2671"),
    # credentials
    ("key AKIAIOSFODNN7EXAMPLE in the script", "AKIAIOSFODNN7EXAMPLE"),
    ("temporary ASIAY34FZKBOKMUTVV7A leaked", "ASIAY34FZKBOKMUTVV7A"),
    ("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY pasted", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY"),
    ("aws_secret_access_key=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "je7MtGbClwBF/2Zp9Utk"),
    (
        "AWS_SESSION_TOKEN=FwoGZXIvYXdzEBYaDHqa0AP1mRkW4iR2mSLIAbtR3tN3n2",
        "FwoGZXIvYXdzEBYaDHqa0AP1",
    ),
    ("gitlab glpat-xYz12AbCdEfGhIjKlMnOp9 broke", "glpat-xYz12AbCdEfGhIjKlMnOp9"),
    ("runner token glrt-2CR8_eVxiioB1QmzPZwa leaked", "glrt-2CR8_eVxiioB1QmzPZwa"),
    (
        "hook https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/x9aBcD3eFgHiJkLmNoPqRs7T",
        "x9aBcD3eFgHiJkLmNoPqRs7T",
    ),
    ("bot xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKlMnOpQrStUvWx"),
    ("user token xoxp-1234-5678-91011-abcdef1234567890", "abcdef1234567890"),
    ("Authorization: Bearer mF_9.B5f-4.1JqM", "mF_9.B5f-4.1JqM"),
    ("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='", "dXNlcjpwYXNzd29yZA"),
    ("header authorization=token ghs_16C7e42F292c6912E7710c838347Ae178B4a", "ghs_16C7e42F292c"),
    ("bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "eyJhbGci"),
    (f"the jwt {JWT} expired", JWT[40:80]),
    (f"id_token {JWT}.", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    (
        f"pasted my key {PEM} oops",
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    ),
    (f"and {OPENSSH}", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"),
    ("https://api.example.com/v1?access_token=ya29.a0AfH6SMBx3jq9Lz&x=1", "ya29.a0AfH6SMBx3jq9Lz"),
    ("refresh_token: 1//0gLr8XyZ-abcDEF123ghi", "1//0gLr8XyZ-abcDEF123ghi"),
    ("api_key=sk_live_51HxYzAbCdEf", "sk_live_51HxYzAbCdEf"),
    ("apiKey: 9f8e7d6c5b4a39281706", "9f8e7d6c5b4a39281706"),
    ("client_secret = Zq8v-Kp2~Lm9.Rt4", "Zq8v-Kp2~Lm9.Rt4"),
    ("password: hunter2!Secure", "hunter2!Secure"),
    ("my pwd=Tr0ub4dor&3 for the vm", "Tr0ub4dor&3"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz012345 leaked", "ghp_abcdefghijklmnop"),
    ("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 in chat", "ghp_wWPw5k4aXcaT4fNP0Ucn"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF", "github_pat_11ABCDEFG01"),
    ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    (
        "npm //registry.npmjs.org/:_authToken=npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "npm_a1B2c3D4",
    ),
    ("sendgrid 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", "SG.ngeVfQ"),
    ("see https://bob:hunter2@intranet.example.com/x", "hunter2"),
    ("postgres://svc:S3cr3t-Pa55@db.internal:5432/app", "S3cr3t-Pa55"),
    ("random Zx9Qw3Er7Ty1Ui5Op8As2Df6Gh4Jk0Lz token", "Zx9Qw3Er7Ty1Ui5Op8As2Df6Gh4Jk0Lz"),
    ("hex secret 8f14e45fceea167a5a36dedd4bea2543c9b1f0e7d6a5 here", "8f14e45fceea167a5a36dedd"),
    ("?sig=Xy7%2Bz9K2m&se=2026", "Xy7%2Bz9K2m"),
    # IBANs
    ("IBAN NL91 ABNA 0417 1643 00 thanks", "0417 1643"),
    ("pay NL91ABNA0417164300 please", "NL91ABNA0417164300"),
    ("DE89 3704 0044 0532 0130 00 is mine", "0532 0130"),
    ("GB82WEST12345698765432", "12345698765432"),
    ("FR14 2004 1010 0505 0001 3M02 606 for the refund", "0505 0001"),
    ("es9121000418450200051332 lower case", "21000418450200051332"),
    ("BE68 5390 0754 7034", "5390 0754 7034"),
    ("IT60 X054 2811 1010 0000 0123 456 bank", "0000 0123"),
    # card numbers
    ("card 4111 1111 1111 1111 exp 12/27", "4111 1111 1111 1111"),
    ("mc 5555-5555-5555-4444", "5555-5555-5555-4444"),
    ("amex 3782 822463 10005 on file", "822463"),
    ("amex 371449635398431", "371449635398431"),
    ("discover 6011111111111117", "6011111111111117"),
    ("jcb 3530 1113 3330 0000", "1113 3330"),
    ("diners 3056 9309 0259 04", "9309 0259"),
    ("visa 4222222222222 short", "4222222222222"),
    (f"nbsp card 4012{NBSP}8888{NBSP}8888{NBSP}1881", f"8888{NBSP}8888"),
    (f"arabic card {_arabic('5105 1051 0510 5100')}", _arabic("1051 0510")),
    # national and employee identifiers, long numbers
    ("ssn 123-45-6789 in the form", "123-45-6789"),
    ("SSN: 078051120", "078051120"),
    ("social security number 219 09 9999", "219 09 9999"),
    ("employee E123456 asked", "E123456"),
    ("employee number 48213 is me", "48213"),
    ("staff id: AB-00917 on the badge", "AB-00917"),
    ("Employee ID #77120 filed it", "77120"),
    ("account 12345678901 is mine", "12345678901"),
    (f"account {_arabic('12345678901')} arabic", _arabic("12345678901")),
    # several at once
    ("jane@example.com / +33 6 12 34 56 78 / AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("ping jane@example.com or +33 6 12 34 56 78", "12 34 56 78"),
    ("ﬁle from ﬁona@example.com", "ona@example.com"),
    ("Devanagari +91 ९८७६५ ४३२१०", "९८७६५ ४३२१०"),
]

# Ordinary feedback with the numbers people write: none of it may change.
ORDINARY: list[str] = [
    "Copilot saved me 20 minutes on the Q3 forecast, version 2.1",
    "It took 3 hours instead of 2 days.",
    "Upgraded to version 2.1.4 on 2026-11-02 and it is faster.",
    "About 50 % of my pull requests now start with a suggestion.",
    "The workshop in room 101 at 10:30 was great.",
    "Still waiting on ticket #4512 from IT.",
    "The licence costs $19 per month, €39 for the enterprise tier, £1,299.00 a year.",
    "We started in 2024 and by 2026 the whole team used it.",
    "Meeting moved to 14:00-15:30 on Tuesday.",
    "I used it 5 times this week, maybe 12 times last week.",
    "Python 3.11 and Node 20 both work fine.",
    "Accuracy went from 72% to 91% after the prompt change.",
    "The sprint was 2 weeks long; we closed 37 stories.",
    "1 000 000 tokens a month is our budget.",
    "The summary of the 45-page report was 80% right.",
    "Response time is 1.5 s on average, 0.8 s at best.",
    "It failed on 3 of 10 tries (30 %).",
    "Rated it 4/5, would be 5/5 with better Excel support.",
    "Q4 2026 roadmap looks good.",
    "We saved roughly 1,200 hours across 85 people.",
    "Chapter 7, section 3.2 explains the policy.",
    "The ISO 27001 audit went fine.",
    "See the RFC 9110 semantics for the details.",
    "Between 9am and 5pm it is slow; after 18h it is quick.",
    "I wrote 250 lines of tests with it yesterday.",
    "On 02/11/2026 the plugin crashed twice.",
    "The feature shipped in release 24.10 last month.",
    "Our team of 12 uses it daily, the other 8 weekly.",
    "Budget line 4-200-17 covers it.",
    "It suggested the fix for bug 10234 in seconds.",
    "Temperature 0.2 works better than 0.7 for code.",
    "Prices: 9.99, 19.99 and 49.99 per seat.",
    "I'd give it 8 out of 10.",
    "Sorry, I meant the 2025-03 release.",
    "The context window of 128k tokens helps with long files.",
    "Shortcut Ctrl+Shift+P then type 'copilot'.",
    "The meeting is at 10:30 in building 2, floor 3.",
    "It handles 3-4 files at once, not 20.",
    "Our NPS rose from 31 to 47.",
    "1st attempt failed, 2nd worked, 3rd was perfect.",
    "The model hallucinated the year 1987 for the founding date.",
    "Approx. 60-70 % of replies needed edits.",
    "See page 12, paragraph 4.",
    "I reviewed PR 882 and PR 1043 with it.",
    "Used it on a 3.5 MB CSV with 40,000 rows.",
    "Summaries for the 10 a.m. stand-up are handy.",
    "Works on Windows 11 and macOS 15.1.",
    "Password resets still need the helpdesk, which takes a day.",
    "The secret to good prompts is giving examples.",
    "The API is fast but the token limit is annoying.",
    "Our employee survey had 312 answers.",
    "The security key prompt appears twice.",
    "Meet me at the café at 9.",
    "I used @copilot in the chat to explain the regex.",
    "Thanks to @maria for the tip about slash commands.",
    "Wow, it wrote the whole migration in 1 go!",
    "The phone app is better than the desktop one.",
    "Email drafts are good, calendar summaries not yet.",
    "Année 2026 : le gain est de 15 % sur les rapports.",
    "Die Antwort kam in 2 Sekunden, sehr gut.",
    "رائع، وفر علي ٣ ساعات",
    "使い方は簡単で、2時間節約できました。",
    "Très utile pour les 3 projets en cours.",
    "Works with the 4K monitor at 60 Hz.",
    "Invoice total 1 250,00 € for 25 seats.",
    "We're at 95th percentile latency of 800 ms.",
    "The 2.1 → 2.2 upgrade fixed it.",
    "From 8:00 to 8:15 every morning I review suggestions.",
    "Around 40-50 prompts per day.",
    "Build 2026.11.2 is the one that broke.",
    "The IBAN field in the finance form is still manual.",
    "It knows the AWS CLI well.",
    "Bearer of bad news: the plugin broke again.",
    "Authorization is handled by the platform team.",
    "I use it for about 2h a day, mostly for SQL.",
    "Access is granted per team, 5 teams so far.",
    "Mon numéro de bureau est le 214.",
    "Rollout phase 3 of 4 starts on 1 December.",
    "It got 17 of 20 unit tests right on the first try.",
    "Used the 7-day trial, then the 30-day one.",
    "Our 6-person team uses it on 2 repos.",
    "Saved £450 in contractor time last month.",
    "A 10x improvement on boilerplate, 0x on design.",
    "It read the 2019-2023 reports in one go.",
    "The 1:1 with my manager was about adoption.",
    "Ranked #3 of the tools we tried.",
    "Dark mode in v3.0 please!",
    "Stand-up at 09:15, retro at 16:45.",
    "I pasted 3 stack traces and it found the bug.",
    "The key insight: ask for tests first.",
    "Version 1.2.3-beta.4 is unstable.",
    "50/50 whether it helps with Terraform.",
    "Our OKR is 80 % weekly active by Q2.",
    "Took me 2.5 hours to set up SSO.",
    "Office hours every Thursday 13:00–14:00.",
    "Over 9000 suggestions accepted, apparently.",
    "Cost per seat went from $30 to $19.",
    "Completed 14 of 15 onboarding modules.",
    "The chat remembered context from 3 messages ago.",
    "Year 3 of our AI programme starts now.",
    "It was ½ as fast… but ﬁne™ after the 2ⁿᵈ try.",
    "MongoDB said E11000 duplicate key, it explained why.",
    "See https://github.com/acme/widgets/pull/1234 for details.",
    "Docs at https://learn.microsoft.com/en-us/copilot/overview?tabs=desktop#setup",
    "Error code 0x80070005 again after the update.",
    "Open C:/Users/Public/Documents/AnnualReview2026Draft3 to see it.",
    "The file report_2026_Q3_final_v2.xlsx is big.",
    "Model gpt-4o-2024-08-06 was used for the summaries.",
    f"Team{NBSP}A and team{NBSP}B both use it 3{NBSP}times a day.",
]


def goemotions_sample() -> list[str]:
    """300 real Reddit comments (GoEmotions dev set, CC BY 4.0) kept in the test data folder."""
    path = Path(__file__).parent / "data" / "goemotions_sample.txt"
    return [
        line.rstrip("\n")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
