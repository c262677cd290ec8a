"""The mailer's failure sentences and the settings they name, in the company's language.

The mailer writes them in English (mailer/smtp.py, mailer/queue.py) and the queue keeps them so;
the terminal, the Excel console, serve's status and the clerks' problems report say them in
Chinese with these.
"""
from __future__ import annotations

import re

from duban.mailer.seam import CERTIFICATE, LOGIN_OR_TLS, PLAIN_SERVER, PORTS

# The settings a refused setup names (mailer.smtp keeps them in English), in Chinese
SETTINGS_ZH = {
    PORTS: '[mail.smtp] security 和 port（465 端口用 "ssl"，587 端口用 "starttls"）',
    f"{PORTS}, and user": '[mail.smtp] security、port（465 端口用 "ssl"，587 端口用 "starttls"）和 user',
    PLAIN_SERVER: '[mail.smtp] security 和 port：服务器在这个端口上用明文应答，不是 TLS，请改为 security = "starttls"'
                  '（连接后再启用 TLS，通常用 587 或 25 端口），或保留 "ssl" 并把 port 改为 465',
    CERTIFICATE: "[mail.smtp] host（服务器证书上的名称），或本机信任的证书",
    LOGIN_OR_TLS: "[mail.smtp] user 和 security（服务器要求先登录或先启用 TLS 才收邮件）",
}
PASSWORD_SETTING = re.compile(r"\[mail\.smtp\] user, and the password in the environment variable (\w+) \(or the keyring\)")


def setting_text(setting: str, lang: str) -> str:
    """The setting a person must change, in `lang` (an unknown one as the mailer wrote it; one in
    both languages, `bilingual`, as the half of `lang`: a group bot's IP allow-list)."""
    en, both, zh = setting.partition(BOTH)
    if both:
        return zh if lang == "zh" else en
    if lang != "zh":
        return setting
    if found := PASSWORD_SETTING.fullmatch(setting):
        return f"[mail.smtp] user，以及环境变量 {found[1]} 中（或密钥环中）的密码"
    return SETTINGS_ZH.get(setting, setting)


# The mailer's own sentences (mailer.smtp, mailer.queue; English, kept so in the queue), in
# Chinese for the terminal: (pattern, Chinese). The server's own answer in brackets stays as it said it.
ERRORS_ZH = [(re.compile(p), zh) for p, zh in (
    (r"(?P<where>\S+) refused the login of '(?P<user>.*)' \((?P<answer>.*)\)", "{where} 拒绝了 '{user}' 的登录（{answer}）"),
    (r"(?P<where>\S+) could not check the login now \((?P<answer>.*)\)", "{where} 暂时无法核对登录（{answer}）"),
    (r"(?P<where>\S+) does not offer STARTTLS \((?P<answer>.*)\)", "{where} 不提供 STARTTLS（{answer}）"),
    (r"(?P<where>\S+) does not offer a login \(AUTH\) \((?P<answer>.*)\)", "{where} 不提供登录（AUTH）（{answer}）"),
    (r"TLS with (?P<where>\S+) failed \((?P<answer>.*)\)", "与 {where} 建立 TLS 连接失败（{answer}）"),
    (r"cannot connect to (?P<where>\S+) \((?P<answer>.*)\)", "无法连接 {where}（{answer}）"),
    (r"cannot write to (?P<where>.+?): (?P<answer>.*)", "无法写入 {where}：{answer}"),
    (r"the server cut the connection (?P<n>\d+) times in a row \(last: (?P<answer>.*)\)",
     "服务器连续 {n} 次断开连接（最后一次：{answer}）"),
    (r"no answer after the mail was sent \((?P<answer>.*?); waited up to (?P<s>\d+) s, \[mail.smtp\] data_timeout\)",
     "邮件发出后服务器没有答复（{answer}；最多等了 {s} 秒，[mail.smtp] data_timeout）"),
    (r"the run that was sending it \((?P<answer>.*)\) ended while the server was taking it",
     "正在发送它的那次运行（{answer}）在服务器接收时中止了"),
)]


BOTH = " ‖ "      # between the two halves of a sentence stored in both languages (`bilingual`)


def bilingual(en: str, zh: str) -> str:
    """One stored sentence in both languages, English first for a raw reader (a group bot's answer
    carries its own Chinese fix sentence, which no pattern here could make); `error_text` picks one."""
    return f"{en}{BOTH}{zh}"


def error_text(error: str, lang: str) -> str:
    """The mailer's sentence about a failure in `lang` (one it does not know, as it was written)."""
    en, both, zh = error.partition(BOTH)
    if both:
        return zh if lang == "zh" else en
    if lang != "zh":
        return error
    for pattern, zh in ERRORS_ZH:
        if found := pattern.fullmatch(error):
            return zh.format(**found.groupdict())
    return error
