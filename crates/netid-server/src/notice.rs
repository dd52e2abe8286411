//! The notice of Art. 10, in Chinese (the default) and English, and the applicant's consent to
//! the centre's own processing: shown before the document is sent, accepted with its version
//! at enrollment, and accepted again, on the next use, when the version changes.
//!
//! The text says what the code does; a change to what the centre holds, keeps or lets a
//! holder do changes the text, and so [`NOTICE_TEXT_VERSION`] with it.

use netid_core::rules::GRANTABLE_FIELDS;
use netid_proto::{Notice, NoticeAcceptRequest, NoticeAcceptResponse, signing};
use netid_store::HolderRow;

use crate::deps::Deps;
use crate::error::{Error, Refusal};
use crate::wallet::authenticate_holder;

pub(crate) use netid_proto::NOTICE_TEXT_VERSION;

/// The notice in both languages, under one version.
#[derive(Debug, Clone)]
pub(crate) struct Notices {
    zh: Notice,
    en: Notice,
}

/// A notice's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    Zh,
    En,
}

impl Language {
    /// `en` for English; anything else (or nothing) is Chinese, the default.
    pub(crate) fn from_param(value: Option<&str>) -> Self {
        if value == Some("en") {
            Self::En
        } else {
            Self::Zh
        }
    }
}

impl Notices {
    /// The notice naming the operator as the deployment configured it
    /// (`NETID_NOTICE_OPERATOR`) and stating the retention of uses. Its version is netid's
    /// text version, followed by a digest of what the deployment set when it set anything
    /// (an operator text, a retention other than the default), so that a changed operator,
    /// contact or retention is a new notice that holders accept again.
    pub(crate) fn new(operator: Option<&str>, use_link_retention_days: u32) -> Self {
        let default_retention =
            use_link_retention_days == crate::config::Config::DEFAULT_USE_LINK_RETENTION_DAYS;
        let version = match (operator, default_retention) {
            (None, true) => NOTICE_TEXT_VERSION.to_owned(),
            _ => {
                let set = format!(
                    "{}\n{use_link_retention_days}",
                    operator.unwrap_or_default()
                );
                let digest = netid_crypto::Suite::gm().hash(set.as_bytes());
                let short = digest.as_ref().get(..4).unwrap_or_default();
                format!("{NOTICE_TEXT_VERSION}+{}", hex::encode(short))
            }
        };
        let days = use_link_retention_days;
        let data_types: Vec<String> = GRANTABLE_FIELDS.iter().map(|f| (*f).to_owned()).collect();
        let zh = Notice {
            version: version.clone(),
            language: "zh".to_owned(),
            operator: operator.unwrap_or(
                "本部署的运营方尚未写明名称和联系方式（NETID_NOTICE_OPERATOR）。注册前，请向给您这个网址的机构确认由谁运营、如何联系。",
            ).to_owned(),
            purpose: "让互联网平台确认您是真实、已核验身份的人，同时只让平台知道您和法律允许的最少信息（《国家网络身份认证公共服务管理办法》）。".to_owned(),
            method: "您提交的证件信息由签发机关的名册核对；核对通过后您得到网号，钱包密钥只保存在您的设备上。平台得到的是“已核验”的结果、它询问的年龄判断，以及一个只对该平台有效的标识，不同平台的标识互不关联。只有在本中心批准了平台依据某项法律提出的请求、并且您另行单独同意时，该平台才会得到您的姓名等明文信息。".to_owned(),
            held: vec![
                "您的证件信息：证件类型、号码、姓名、性别、出生日期、国籍和有效期，用只属于您的密钥加密；该密钥再由本中心的主密钥加密保存。".to_owned(),
                "您的网号，以及签发机关给出的人员编号的单向索引（保证一人一个网号）。".to_owned(),
                "您的钱包公钥和通行密钥的公钥；网页登录会话在有效期内保存。".to_owned(),
                "您对各平台的同意（哪些字段、何时、依据哪一版告知），以及您接受本告知的版本和时间。".to_owned(),
                "您的记录：每一次核验、登录和披露（哪个平台、哪一分钟），以及您自己的操作（注册、同意、锁定、通行密钥），作为公开日志中只有您的密钥能认出的条目。".to_owned(),
                "签发给您的证书和网络身份凭证，以及它们是否已吊销。".to_owned(),
                "未成年人的监护人，以及监护人为未满14周岁的儿童批准过的平台。".to_owned(),
                "您请证件机关更正档案的申请；您对平台的投诉（您写的内容加密保存，只有运营方的系统管理员阅读，平台看不到）；您开启提醒时，浏览器的推送订阅（推送服务的地址和密钥）。".to_owned(),
            ],
            data_types: data_types.clone(),
            retention: format!(
                "您的档案保存到您删除为止；删除会销毁您的密钥，档案从此无法解读。每一次核验、登录和披露在 {days} 天内与您关联，之后本中心销毁这一关联和能恢复它的密钥：日志条目仍然公开，但除了保存了记录的您自己，谁都认不出它属于您。安全事件记录不含持有人身份。平台收到的字段，保存期限不超过其公开资料所写。"
            ),
            rights: "知情：查看本中心保存的您的档案（网页“我的网号”→“查看我的信息”；netid wallet record）和您的记录（网页“历史记录”；netid wallet log）。选择：按平台、按字段单独同意，随时撤回任何同意；发现可能被冒用时锁定网号（网页首页；netid wallet lock），开启每次使用的推送提醒（网页首页）。更正：请证件机关更正档案（网页“查看我的信息”下；netid wallet correction）。删除：删除您的数据（网页或 netid wallet delete）。投诉平台：平台索要更多明文身份信息、因您不用网号而拒绝服务或超期保存数据时，在网页“我的网号”→“投诉平台”或用 netid wallet complain 投诉，运营方的答复显示在您的档案中，平台不会知道是您投诉的。其他疑问：请联系上面写明的运营方。".to_owned(),
            sensitive_data: "证件号码、出生日期和您的身份本身属于敏感个人信息（《个人信息保护法》第二十八条）。本中心需要它们来对照签发机关的名册核验您；平台只有在它写明了法律依据、并且您单独同意时才会收到证件号码或出生日期，收到后它就能识别您。".to_owned(),
        };
        let en = Notice {
            version,
            language: "en".to_owned(),
            operator: operator.unwrap_or(
                "The operator of this deployment has not stated its name and contact (NETID_NOTICE_OPERATOR). Before you enrol, ask whoever gave you this address who runs it and how to reach them.",
            ).to_owned(),
            purpose: "To let internet platforms check that you are a real, identified person while learning as little about you as you and the law allow (Measures for the National Network Identity Authentication Public Service).".to_owned(),
            method: "The details of the document you send are checked against its issuing authority's roster; you then get a Net ID, and your wallet key stays on your device. A platform learns that you are verified, the age checks it asks for, and an identifier for you that no other platform gets, so platforms cannot link you. It gets your name or another field only where the centre approved its request under a law it names and you consented separately to that platform.".to_owned(),
            held: vec![
                "Your document: type, number, name, sex, birth date, nationality and expiry, encrypted under a key of your own, which the centre keeps encrypted under its master key.".to_owned(),
                "Your Net ID, and a one-way index of the authority's reference for you (so that one person has one Net ID).".to_owned(),
                "Your wallet's public key and your passkeys' public keys; your web sign-ins while they last.".to_owned(),
                "Your consents to platforms (which fields, when, under which notice), and the version of this notice you accepted, and when.".to_owned(),
                "Your history: each verification, sign-in and disclosure (which platform, which minute), and your own acts (enrollment, consents, locks, passkeys), as entries in the public log that only your key recognises.".to_owned(),
                "The certificates and Net Certificates issued to you, and whether they are revoked.".to_owned(),
                "For a minor: their guardians, and the platforms a guardian approved for a child under 14.".to_owned(),
                "The corrections you asked the document authority for; your complaints about platforms (your words are encrypted and read only by the operator's system administrators, never by the platform); if you turn alerts on, your browser's push subscription (the push service's address and keys).".to_owned(),
            ],
            data_types,
            retention: format!(
                "Your record, until you delete it; deletion destroys your key, so the record can no longer be read. Each verification, sign-in and disclosure stays linked to you for {days} days; then the centre destroys that link and the key that could restore it: the log entry stays public, but no one but you, if you saved your history, can tell it was yours. Security records name no holder. A platform keeps a field it received no longer than its published profile states."
            ),
            rights: "To know: read the record the centre holds about you (web app, My Net ID → Show my record; netid wallet record) and your history (web app, History; netid wallet log). To choose: consent per platform and field, withdraw any consent at once, and lock your Net ID while you look into a misuse (web app home; netid wallet lock), and turn on an alert of each use (web app home). To correct: ask the document authority to correct your record (web app, under your record; netid wallet correction). To delete: delete your data (web app, or netid wallet delete). To complain about a platform that asked you for more identity data, refused you service without a Net ID or kept your data too long: web app, My Net ID → Complain about a platform, or netid wallet complain; the operator's answer shows in your record, and the platform is not told it was you. Other questions: the operator named above.".to_owned(),
            sensitive_data: "Your document number, birth date and your identity itself are sensitive personal information (Personal Information Protection Law, Art. 28). The centre needs them to check you against the issuing authority's roster; a platform receives your document number or birth date only under a law it names and with your separate consent, and can then identify you.".to_owned(),
        };
        Self { zh, en }
    }

    /// The notice in `language`.
    pub(crate) fn get(&self, language: Language) -> &Notice {
        match language {
            Language::Zh => &self.zh,
            Language::En => &self.en,
        }
    }

    /// The version both languages share.
    pub(crate) fn version(&self) -> &str {
        &self.zh.version
    }

    /// Refuses `version` unless it is the current one: what a holder accepts, at enrollment
    /// or later, is the notice they were shown.
    pub(crate) fn check_version(&self, version: Option<&str>) -> Result<(), Refusal> {
        match version {
            Some(version) if version == self.version() => Ok(()),
            _ => Err(Refusal::NoticeNotAccepted {
                version: self.version().to_owned(),
            }),
        }
    }

    /// Refuses to use `holder`'s Net ID until they have accepted the current notice.
    pub(crate) fn ensure_accepted(&self, holder: &HolderRow) -> Result<(), Refusal> {
        self.check_version(holder.notice_version.as_deref())
    }
}

/// Records that the holder whose wallet signed `request` accepted the current notice.
pub(crate) async fn accept(
    deps: &Deps,
    request: NoticeAcceptRequest,
) -> Result<NoticeAcceptResponse, Error> {
    let holder = authenticate_holder(
        deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::notice_acceptance_message(
            &request.notice_version,
            &request.request_id,
            request.timestamp,
        ),
        &request.signature,
    )
    .await?;
    accept_for(deps, &holder, &request.notice_version).await
}

/// Records that `holder` accepted the notice of `version`, which must be the current one.
pub(crate) async fn accept_for(
    deps: &Deps,
    holder: &HolderRow,
    version: &str,
) -> Result<NoticeAcceptResponse, Error> {
    deps.notice.check_version(Some(version))?;
    let now = deps.clock.now();
    deps.store
        .accept_notice(holder.id, version.to_owned(), now)
        .await?;
    tracing::info!(target: "netid::security", event = "notice_accepted");
    Ok(NoticeAcceptResponse {
        notice_version: version.to_owned(),
        accepted_at: now.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_changes_with_the_operator_and_the_retention_and_both_languages_share_it() {
        let default = Notices::new(None, 180);
        assert_eq!(default.version(), NOTICE_TEXT_VERSION);
        assert_eq!(default.get(Language::En).version, default.version());
        let named = Notices::new(Some("测试运营中心, privacy@netid.example"), 180);
        let shorter = Notices::new(None, 30);
        assert_ne!(named.version(), default.version());
        assert_ne!(shorter.version(), default.version());
        assert_ne!(shorter.version(), named.version());
        assert!(shorter.get(Language::Zh).retention.contains("30 天"));
        assert!(shorter.get(Language::En).retention.contains("for 30 days"));
    }

    #[test]
    fn each_language_says_what_is_held_under_its_own_headings() {
        let notices = Notices::new(None, 180);
        let (zh, en) = (notices.get(Language::Zh), notices.get(Language::En));
        assert_eq!((zh.language.as_str(), en.language.as_str()), ("zh", "en"));
        assert_eq!(zh.held.len(), en.held.len());
        assert!(en.held.iter().any(|item| item.contains("sex")));
        assert!(zh.held.iter().any(|item| item.contains("性别")));
        // Nothing in English in the Chinese notice's sentences but names of commands.
        assert!(!zh.purpose.contains("the "));
    }

    #[test]
    fn only_the_current_version_is_accepted() {
        let notices = Notices::new(None, 180);
        assert!(notices.check_version(Some(NOTICE_TEXT_VERSION)).is_ok());
        assert!(matches!(
            notices.check_version(Some("2026-11-27")),
            Err(Refusal::NoticeNotAccepted { .. })
        ));
        assert!(notices.check_version(None).is_err());
    }
}
