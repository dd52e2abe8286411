//! The consent screen of the authorization endpoint, in Simplified Chinese by default and in
//! English one link away: which platform, what it receives, and for each plaintext field its
//! legal basis, purpose and retention. Plain HTML, no script, nothing from elsewhere.

use netid_proto::{Commitments, ProfileField};

use super::PushedRequest;

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Zh,
    En,
}

impl Lang {
    /// `en` for English; anything else is Chinese.
    pub(crate) fn from_param(value: Option<&str>) -> Self {
        if value == Some("en") {
            Self::En
        } else {
            Self::Zh
        }
    }

    fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }
}

/// What the consent screen shows.
#[derive(Clone, Copy)]
pub(crate) struct Screen<'a> {
    pub(crate) lang: Lang,
    pub(crate) platform_name: &'a str,
    pub(crate) request_uri: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) request: &'a PushedRequest,
    /// The approved fields of the platform's profile that the request asks for.
    pub(crate) fields: &'a [ProfileField],
    /// The commitments of Art. 7 the platform declared, if it did.
    pub(crate) commitments: Option<&'a Commitments>,
    /// A line shown above the page (e.g. "not answered yet").
    pub(crate) notice: Option<&'static str>,
    /// Whether the holder is signed in to the web app (then they answer on this page).
    pub(crate) signed_in: bool,
}

/// The consent screen.
pub(crate) fn consent_screen(screen: &Screen<'_>) -> String {
    let lang = screen.lang;
    let t = |zh, en| lang.pick(zh, en);
    let name = escape(screen.platform_name);
    let mut receives = vec![
        t(
            "您已通过实名核验（是或否）",
            "Whether your real name was verified (yes or no)",
        )
        .to_owned(),
        t(
            "一个专属于该平台的假名（不是您的网号；同一机构在其公开说明中列出的平台看到同一个）",
            "A pseudonym for this platform (not your Net ID; the same one only at platforms of its organisation that its published profile lists)",
        )
        .to_owned(),
    ];
    for (scope, zh, en) in [
        (
            "age_over_14",
            "您是否年满14周岁",
            "Whether you are 14 or older",
        ),
        (
            "age_over_18",
            "您是否年满18周岁",
            "Whether you are 18 or older",
        ),
    ] {
        if screen.request.scopes.iter().any(|asked| asked == scope) {
            receives.push(t(zh, en).to_owned());
        }
    }
    let receives: String = receives
        .iter()
        .map(|item| format!("<li>{item}</li>"))
        .collect();
    let fields = if screen.fields.is_empty() {
        format!(
            "<p>{}</p>",
            t(
                "该平台不会收到您的任何明文个人信息。",
                "This platform receives none of your personal data in plaintext."
            )
        )
    } else {
        let rows: String = screen
            .fields
            .iter()
            .map(|field| {
                let until = field
                    .approved_until
                    .and_then(|at| crate::clock::date_of(netid_store::Timestamp(at)))
                    .map(|date| date.to_string())
                    .unwrap_or_default();
                format!(
                    "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{} {}</td><td>{until}</td></tr>",
                    escape(field_label(&field.field, lang)),
                    escape(&field.legal_basis),
                    escape(&field.purpose),
                    field.retention_days,
                    t("天", "days"),
                )
            })
            .collect();
        format!(
            "<p>{}</p><table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{rows}</tbody></table>",
            t(
                "该平台还请求以下明文信息。每一项都需要您单独同意，可随时撤回；不同意也不影响核验。",
                "The platform also asks for these fields in plaintext. Each needs your separate consent, which you can withdraw at any time; declining does not stop the verification.",
            ),
            t("请求的明文信息", "Fields asked for in plaintext"),
            t("信息", "Field"),
            t("法律依据", "Legal basis"),
            t("用途", "Purpose"),
            t("保存期限", "Retention"),
            t("批准有效至", "Approved until"),
        )
    };
    let commitments = commitments_section(screen.commitments, lang);
    let consent_flags = if screen.fields.is_empty() {
        String::new()
    } else {
        let flags: Vec<String> = screen
            .fields
            .iter()
            .map(|field| format!("--consent {}", field.field))
            .collect();
        format!(" [{}]", flags.join(" "))
    };
    let notice = screen
        .notice
        .map(|text| format!("<p class=\"notice\" role=\"status\">{}</p>", escape(text)))
        .unwrap_or_default();
    let other = match lang {
        Lang::Zh => ("en", "English"),
        Lang::En => ("zh", "中文"),
    };
    let request_uri = escape(screen.request_uri);
    let client_id = escape(screen.client_id);
    let html_lang = t("zh-CN", "en");
    let title = t("身份核验请求", "Identity verification request");
    let heading = match lang {
        Lang::Zh => format!("{name} 请求核验您的身份"),
        Lang::En => format!("{name} asks to verify your identity"),
    };
    let receives_title = t("该平台将收到", "The platform will receive");
    let hidden = format!(
        "<input type=\"hidden\" name=\"request_uri\" value=\"{request_uri}\"><input type=\"hidden\" name=\"client_id\" value=\"{client_id}\"><input type=\"hidden\" name=\"lang\" value=\"{}\">",
        t("zh", "en")
    );
    let answer = if screen.signed_in {
        let choices: String = screen
            .fields
            .iter()
            .map(|field| {
                format!(
                    "<label><input type=\"checkbox\" name=\"consent\" value=\"{}\"> {}</label>",
                    escape(&field.field),
                    escape(field_label(&field.field, lang)),
                )
            })
            .collect();
        let fieldset = if choices.is_empty() {
            String::new()
        } else {
            format!(
                "<fieldset><legend>{}</legend>{choices}</fieldset>",
                t(
                    "勾选您同意提供的每一项明文信息（不勾选即不提供）",
                    "Tick each plaintext field you agree to give (unticked ones are not given)",
                )
            )
        };
        format!(
            "<h2>{}</h2><form method=\"post\" action=\"/oidc/authorize/decide\">{hidden}{fieldset}<p><button type=\"submit\" name=\"decision\" value=\"approve\">{}</button> <button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">{}</button></p></form>",
            t("您的选择", "Your answer"),
            t("同意并继续", "Approve and continue"),
            t("拒绝", "Decline"),
        )
    } else {
        let back = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", screen.client_id)
            .append_pair("request_uri", screen.request_uri)
            .append_pair("lang", t("zh", "en"))
            .finish();
        let sign_in = format!(
            "/app/#return={}",
            url::form_urlencoded::byte_serialize(format!("/oidc/authorize?{back}").as_bytes())
                .collect::<String>()
        );
        format!(
            "<h2>{}</h2><p><a href=\"{}\">{}</a></p><h2>{}</h2><p>{}</p><code>netid wallet authorize --client-id {client_id} --request-uri {request_uri}{consent_flags}</code><form method=\"post\" action=\"/oidc/authorize/continue\">{hidden}<p><button type=\"submit\">{}</button></p></form>",
            t("用通行密钥回答", "Answer with a passkey"),
            escape(&sign_in),
            t(
                "用通行密钥登录后在此回答",
                "Sign in with your passkey to answer here"
            ),
            t("或者用您的钱包回答", "Or answer with your wallet"),
            t(
                "在您的设备上运行以下命令以批准；只为您同意提供的每项信息保留一个 --consent，或改加 --deny 拒绝。您的网号、姓名和证件号码不会发送给该平台，除非您单独同意。",
                "Run this on your device to approve; keep one --consent for each field you agree to give, or add --deny instead to decline. Your Net ID, name and document number are not sent to the platform unless you consent to them separately.",
            ),
            t("我已回答，继续", "I have answered, continue"),
        )
    };
    let history_note = t(
        "每一次核验和披露都会记入您的历史记录和公开透明日志。",
        "Every verification and disclosure is recorded in your history and the public transparency log.",
    );
    format!(
        r#"<!doctype html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · netid</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 42rem; margin: 0 auto; padding: 1rem; color: #111; background: #fff; line-height: 1.5; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border: 1px solid #555; padding: .4rem; text-align: left; vertical-align: top; }}
code {{ display: block; background: #f0f0f0; padding: .5rem; overflow-wrap: anywhere; }}
button {{ font-size: 1rem; padding: .6rem 1rem; background: #0b4f8a; color: #fff; border: 0; border-radius: .3rem; }}
button:focus, a:focus {{ outline: 3px solid #e0a000; }}
.notice {{ background: #fff4d0; padding: .5rem; }}
button.secondary {{ background: #fff; color: #0b4f8a; border: 1px solid #0b4f8a; }}
label {{ display: block; margin: .3rem 0; }}
</style>
</head>
<body>
<nav><a href="?client_id={client_id}&amp;request_uri={request_uri}&amp;lang={}" lang="{}">{}</a></nav>
<main>
{notice}
<h1>{heading}</h1>
<p>{client_label}: <span>{client_id}</span></p>
<h2>{receives_title}</h2>
<ul>{receives}</ul>
{commitments}
{fields}
{answer}
<p>{history_note}</p>
</main>
</body>
</html>
"#,
        other.0,
        other.0,
        other.1,
        client_label = t("平台标识", "Platform id"),
    )
}

/// What the platform committed to under Art. 7, or that it has not.
fn commitments_section(commitments: Option<&Commitments>, lang: Lang) -> String {
    let t = |zh, en| lang.pick(zh, en);
    let title = t(
        "该平台的承诺（《办法》第七条）",
        "What this platform committed to (Art. 7)",
    );
    let body = match commitments {
        Some(declared) => format!(
            "<ul><li>{}</li><li>{}</li></ul><p>{} {}</p>",
            t(
                "通过网号核验后，不再向您索要其他明文身份信息",
                "Once you are verified with your Net ID, it asks you for no further identity data in plaintext",
            ),
            t(
                "对不使用网号的人提供同样的服务",
                "It serves people who do not use a Net ID as it serves those who do",
            ),
            t("声明于", "Declared on"),
            crate::clock::date_of(netid_store::Timestamp(declared.declared_at))
                .map(|date| date.to_string())
                .unwrap_or_default(),
        ),
        None => format!(
            "<p>{}</p>",
            t(
                "该平台尚未声明这两项承诺；法律仍然要求它做到：不向已核验的您索要其他明文身份信息，并对不使用网号的人提供同样的服务。",
                "This platform has not declared these commitments; the law binds it to them all the same: no further identity data in plaintext from you once verified, and the same service for people who do not use a Net ID.",
            )
        ),
    };
    format!("<h2>{title}</h2>{body}")
}

/// A page that says why an authorization request cannot go on.
pub(crate) fn error_page(lang: Lang) -> String {
    let t = |zh, en| lang.pick(zh, en);
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>netid</title></head><body><main><h1>{}</h1><p>{}</p></main></body></html>\n",
        t("zh-CN", "en"),
        t("请求已失效", "This request is no longer valid"),
        t(
            "该授权请求不存在、已过期或已被回答。请回到平台重新开始。",
            "This authorization request does not exist, has expired or was already answered. Go back to the platform and start again.",
        ),
    )
}

fn field_label(field: &str, lang: Lang) -> &str {
    let t = |zh, en| lang.pick(zh, en);
    match field {
        "net_id" => t("网号", "Net ID"),
        "name" => t("姓名", "Name"),
        "birth_date" => t("出生日期", "Date of birth"),
        "document_type" => t("证件类型", "Document type"),
        "document_number" => t("证件号码", "Document number"),
        "nationality" => t("国籍", "Nationality"),
        other => other,
    }
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> PushedRequest {
        PushedRequest {
            client_id: "rp".to_owned(),
            redirect_uri: "https://rp.example/cb".to_owned(),
            scopes: vec!["openid".to_owned(), "age_over_18".to_owned()],
            state: None,
            nonce: None,
            code_challenge: String::new(),
            dpop_jkt: None,
            redirect_to: None,
        }
    }

    #[test]
    fn the_screen_names_the_platform_escaped_and_each_field_with_its_basis() {
        let request = request();
        let fields = [ProfileField {
            field: "name".to_owned(),
            legal_basis: "Synthetic Act Art. 1".to_owned(),
            purpose: "<script>".to_owned(),
            retention_days: 30,
            status: "approved".to_owned(),
            approved_until: None,
        }];
        let screen = Screen {
            lang: Lang::Zh,
            platform_name: "Example <Shop>",
            request_uri: "urn:x",
            client_id: "rp",
            request: &request,
            fields: &fields,
            commitments: None,
            notice: None,
            signed_in: false,
        };
        let zh = consent_screen(&screen);
        assert!(zh.contains("lang=\"zh-CN\""));
        assert!(zh.contains("Example &lt;Shop&gt; 请求核验您的身份"));
        assert!(zh.contains("您是否年满18周岁"));
        assert!(!zh.contains("您是否年满14周岁"));
        assert!(zh.contains("Synthetic Act Art. 1"));
        assert!(zh.contains("&lt;script&gt;"));
        assert!(!zh.contains("<script>"));
        assert!(zh.contains(
            "netid wallet authorize --client-id rp --request-uri urn:x [--consent name]"
        ));
        let en = consent_screen(&Screen {
            lang: Lang::En,
            ..screen
        });
        assert!(en.contains("Example &lt;Shop&gt; asks to verify your identity"));
        assert!(en.contains("30 days"));
        assert!(en.contains("/app/#return="));
        // Signed in: a separate, unticked choice per field, and approve or decline here.
        let signed_in = consent_screen(&Screen {
            signed_in: true,
            ..screen
        });
        assert!(signed_in.contains("name=\"consent\" value=\"name\">"));
        assert!(!signed_in.contains("checked"));
        assert!(signed_in.contains("value=\"approve\""));
        assert!(!signed_in.contains("netid wallet authorize"));
        assert!(zh.contains("该平台尚未声明这两项承诺"));
        let declared = Commitments {
            no_extra_plaintext: true,
            equal_service: true,
            // 2026-12-07 10:00 in China Standard Time.
            declared_at: 1_796_608_800,
        };
        let committed = consent_screen(&Screen {
            commitments: Some(&declared),
            ..screen
        });
        assert!(committed.contains("对不使用网号的人提供同样的服务"));
        assert!(committed.contains("声明于 2026-12-07"));
    }
}
