// The netid holder web app: passkey sign-in, the holder's Net ID, consents, history, the
// notice, platforms' published profiles and deletion. Plain modules, nothing from elsewhere.
// Pages are built with DOM calls and textContent only, so no text from the server is HTML.

import { LogCheckError, checkEntry, verifyCheckpoint } from './logcheck.js'

const TEXT = {
  zh: {
    language: 'English', nav_home: '我的网号', nav_history: '历史记录', nav_notice: '告知书', nav_delete: '删除我的数据', sign_out: '退出',
    enroll_title: '注册网号', enroll_text: '用您的法定身份证件注册。本浏览器会生成您的钱包密钥（只保存在这里，不可导出），并为您创建一个通行密钥用于登录。', enroll_link: '第一次使用？注册网号',
    document_type: '证件类型', document_number: '证件号码', full_name: '姓名（与证件一致）', enrollment_code: '注册码（证件机关给您的一次性注册码）', enroll: '注册并创建通行密钥',
    enrolled: (id) => `注册成功，您的网号是 ${id}。现在为这个浏览器创建通行密钥。`, recovered: (id) => `您已有网号 ${id}：本浏览器的钱包密钥已替换旧的，旧的通行密钥失效。`,
    minor_note: '未满14周岁的儿童由监护人用钱包注册（netid wallet enroll）。',
    documents: { 'resident-id': '居民身份证', passport: '护照', 'hk-macao-travel-permit': '往来港澳通行证', 'mainland-travel-permit-hkm': '港澳居民来往内地通行证', 'mainland-travel-permit-tw': '台湾居民来往大陆通行证', 'residence-permit-hkm': '港澳居民居住证', 'residence-permit-tw': '台湾居民居住证', 'foreign-permanent-resident-id': '外国人永久居留身份证' },
    sign_in_title: '登录', sign_in_text: '用您在本设备上的通行密钥登录。', sign_in: '用通行密钥登录',
    link_title: '添加通行密钥', link_text: '您的钱包给了这个一次性链接。创建通行密钥后，您就可以在这个浏览器中登录同一个网号。', link: '创建通行密钥',
    no_passkey: '还没有通行密钥？在钱包中运行 netid wallet link-browser，并在此浏览器中打开它给出的链接。',
    certificates_title: '我的证书', no_certificates: '您还没有证书（netid wallet certificate 申请）。', serial: '序列号', profile_kind: '用途', valid_until: '有效期至', state: '状态', revoked: '已吊销', valid: '有效',
    home_title: '我的网号', net_id: '网号', consents_title: '我的同意', no_consents: '您没有给任何平台有效的同意。',
    record_title: '本服务保存的我的信息', record_note: '以下是证件机关的名册给本服务的信息，只向您本人打开。若有错误，由证件机关更正。', record_show: '查看我的信息',
    correction_label: '哪里有错，正确的是什么（一行，最多500字）', correction_ask: '请证件机关更正', correction_asked: (reference) => `更正申请 ${reference} 已发给证件机关。机关更正名册后，您的信息随之更正，申请随之关闭。`,
    correction_item: (c) => `更正申请 ${c.reference}（${c.authority}）：${c.closed_at ? '已关闭，名册已更正您的信息' : '处理中'}`,
    record_fields: { document: '证件', name: '姓名', birth_date: '出生日期', sex: '性别', nationality: '国籍', expiry: '有效期至' }, record_expired: '（已过期）',
    lock_title: '锁定网号', lock_text: '怀疑被冒用时可以锁定：锁定期间您的网号不能用于任何核验、登录、同意或签发，已有的网络身份凭证会被吊销（解锁后可重新申请）。历史记录仍可查看，锁定和解锁都记入历史。',
    locked_text: '您的网号已锁定：现在不能用于任何核验、登录、同意或签发。', lock: '锁定网号', unlock: '解锁网号', now_locked: '网号已锁定。', now_unlocked: '网号已解锁。',
    security_title: '通行密钥与登录', passkey: '通行密钥', session: '登录会话', added: '添加时间', ends: '结束时间', this_session: '（本次）', remove: '移除', end_session: '结束',
    no_passkeys: '您没有通行密钥。', passkey_removed: '通行密钥已移除。', session_ended: '登录会话已结束。',
    platform: '平台', field: '信息', given: '同意时间', withdraw: '撤回', withdrawn: '已撤回。', profile: '公开说明',
    history_title: '历史记录', history_text: '每一次核验、披露、同意和撤回都记入公开透明日志。以下是属于您的条目。',
    proof_verified: (size) => `✓ 已在本页核对：在签名检查点（共 ${size} 条）中，且标记属于此人`,
    proof_not_included: '✗ 包含证明不成立：该条目不在签名检查点中',
    proof_not_theirs: '✗ 该条目的标记不属于此人',
    retention_text: (days) => `本中心只在 ${days} 天内记得每一次核验、登录和披露是您的；之后销毁这一关联和能恢复它的密钥。条目仍留在公开日志中，但任何人（包括本中心）都无法再看出它属于您。想留底，请自己保存这份记录。`,
    kept_until: (date) => `本中心记得这条是您的，直到 ${date}`,
    one_off_key: '此条目的告知曾被推迟，它的标记用的是本服务事后公开的一次性密钥，所以只能核对标记与该密钥相符。',
    checkpoint_failed: { bad_signature: '✗ 日志检查点的签名不成立，以下条目均未经核对。', malformed: '✗ 日志检查点或日志公钥格式不对，以下条目均未经核对。', unavailable: '✗ 本页的 SM2/SM3 脚本没有加载，以下条目均未经核对。' },
    proof_note: '本页先用日志公钥（/v1/log/key）核对检查点的签名，再用每一条的包含证明核对它在日志中。日志公钥和本页都来自本服务；要独立核对，请用 netid wallet log --log-key，配上您从别处得到的日志公钥。',
    wards_title: '我监护的未成年人', ward_platforms: '使用过的平台', first_use: '首次使用',
    ward_title: (id) => `网号 ${id}`, ward_approved: '您批准过的平台（未满14周岁的儿童只能在这些平台核验和登录）', ward_approve_label: '为这个孩子批准一个平台（填平台的客户端标识）', ward_approve: '批准', ward_approved_now: (id) => `已批准平台 ${id}。`,
    notice_title: '告知书', delete_title: '删除我的数据',
    notice_headings: { operator: '谁在处理您的信息，如何联系', purpose: '目的', method: '方式', held: '本中心保存什么', retention: '保存多久', rights: '您的权利和行使方式', sensitive_data: '敏感个人信息及其必要性', version: '版本' },
    accept_notice_box: '我已阅读上面的告知书，同意本中心按其所述处理我的信息。',
    notice_changed: (version) => `告知书已更新（版本 ${version}）。请阅读并接受新的告知书，之后才能继续使用网号核验、登录和申领凭证。`,
    accept_notice: '接受告知书', notice_accepted: '您已接受新的告知书。',
    alerts_title: '使用提醒', alerts_text: (n) => `每次核验、登录或披露时，本服务可以通过浏览器的推送服务提醒您；提醒只说“有新记录”，内容要您打开本应用才看得到。已开启的浏览器：${n} 个。`,
    alerts_on: '在这个浏览器上开启提醒', alerts_off: '关闭所有提醒', alerts_done: '已开启提醒。', alerts_removed: '已关闭提醒。', alerts_unsupported: '这个浏览器不支持推送提醒。',
    delete_text: '删除后无法恢复：您的网号永久作废，网络身份凭证和证书被吊销，所有同意终止，平台将无法再核验您，本服务也将无法读取您的记录。透明日志中的条目保留（不含个人信息）。',
    delete_label: '输入“delete my data”确认', delete: '永久删除', deleted: '您的数据已删除。',
    profile_title: '平台公开说明', basis: '法律依据', purpose: '用途', retention: '保存期限', days: '天', approved_until: '批准有效至',
    standing: { suspended: (s) => `该平台已被运营方暂停（自 ${s.since}）：${s.reason}`, removed: (s) => `该平台已被运营方移除（自 ${s.since}）：${s.reason}` },
    commitments_yes: '该平台声明（《办法》第七条）：通过网号核验后不再向您索要其他明文身份信息；对不使用网号的人提供同样的服务。',
    commitments_no: '该平台尚未声明《办法》第七条的两项承诺；法律仍然要求它做到。',
    complain_title: '投诉该平台', complain_note: '您写的内容加密保存，只有运营方的系统管理员阅读；平台不会收到任何内容，也不会知道是谁投诉的。',
    complain_category: '平台做了什么', complain_text: '发生了什么（一行，最多1000字）', complain_send: '提交投诉',
    complain_sent: (reference) => `投诉 ${reference} 已收到。运营方的答复会显示在“我的网号”→“查看我的信息”中。`,
    complaint_categories: { extra_plaintext: '核验后还索要其他身份信息', refused_without_net_id: '因我不用网号而拒绝服务', kept_past_retention: '超过声明的期限保存我的数据', other: '其他' },
    complaint_statuses: { received: '已收到', investigating: '处理中', upheld: '投诉成立', dismissed: '投诉不成立' },
    complaint_item: (c, platform) => `投诉 ${c.reference}（${platform}）：${c.status}${c.resolution ? `。答复：${c.resolution}` : ''}`,
    wallet_app_title: '钱包应用中的网证',
    wallet_app_text: '可将网证存入支持 OpenID4VCI 的钱包应用，在平台出示时本服务不会得知。请只在您自己的设备上操作。',
    wallet_app_offer: '生成领取码',
    wallet_app_again: '重新生成',
    wallet_app_qr: '用钱包应用扫描此二维码领取网证',
    wallet_app_link: '在本设备的钱包应用中打开',
    wallet_app_code: '钱包应用要求输入的交易码：',
    wallet_app_until: (time) => `${time} 前有效，仅可使用一次。交易码请勿告诉他人。`,
    receipt_item: (r) => `${r.client_id}${r.event === 'account_purged' ? '获知您的删除' : '获知您撤回同意'}：${r.deleted ? `已删除 ${r.deleted.join('、')}` : r.acknowledged_at ? '已确认收到，尚未告知删除了什么' : '尚未确认收到'}（${r.reference}）`,
    deleted_receipts: '已通知各平台删除其持有的您的数据。请保存以下编号：凭编号可查看各平台告知的删除内容（本服务已不知道它们属于您）。',
    kinds: { signal_acknowledged: '平台确认收到了删除、撤回或锁定通知', deletion_receipt: '平台告知已删除的内容', complaint_filed: '投诉平台', complaint_handled: '运营方处理了投诉', guardianship_changed: '监护关系变更', platform_approved: '监护人批准了平台', correction_requested: '申请更正', record_updated: '证件机关更新了您的档案', net_id_locked: '锁定网号', net_id_unlocked: '解锁网号', passkey_added: '添加通行密钥', passkey_removed: '移除通行密钥', enrollment: '注册', recovery: '恢复', verification: '核验', disclosure: '披露', consent_given: '同意', consent_withdrawn: '撤回同意', deletion: '删除', operator_read: '运营方读取', credential_issued: '签发网络身份凭证', credential_revoked: '吊销网络身份凭证', certificate_issued: '签发证书', certificate_revoked: '吊销证书' },
    fields: { net_id: '网号', name: '姓名', birth_date: '出生日期', document_type: '证件类型', document_number: '证件号码', nationality: '国籍', authentication_history: '认证记录（哪些平台何时核验过您）' },
    failed: '出错了：',
  },
  en: {
    language: '中文', nav_home: 'My Net ID', nav_history: 'History', nav_notice: 'Notice', nav_delete: 'Delete my data', sign_out: 'Sign out',
    enroll_title: 'Get a Net ID', enroll_text: 'Enrol with your statutory identity document. This browser makes your wallet key (kept here only, never exported) and a passkey for you to sign in with.', enroll_link: 'New here? Get a Net ID',
    document_type: 'Document type', document_number: 'Document number', full_name: 'Name (as on the document)', enrollment_code: 'Enrollment code (the one-time code the issuing authority gave you)', enroll: 'Enrol and create a passkey',
    enrolled: (id) => `Enrolled: your Net ID is ${id}. Now create a passkey for this browser.`, recovered: (id) => `You had a Net ID already, ${id}: this browser's wallet key replaced the old one, and old passkeys no longer work.`,
    minor_note: 'A child under 14 is enrolled by a guardian, with the wallet (netid wallet enroll).',
    documents: { 'resident-id': 'Resident identity card', passport: 'Passport', 'hk-macao-travel-permit': 'Travel permit to Hong Kong and Macao', 'mainland-travel-permit-hkm': 'Mainland travel permit (Hong Kong, Macao)', 'mainland-travel-permit-tw': 'Mainland travel permit (Taiwan)', 'residence-permit-hkm': 'Residence permit (Hong Kong, Macao)', 'residence-permit-tw': 'Residence permit (Taiwan)', 'foreign-permanent-resident-id': 'Foreign permanent resident ID card' },
    sign_in_title: 'Sign in', sign_in_text: 'Sign in with the passkey on this device.', sign_in: 'Sign in with a passkey',
    link_title: 'Add a passkey', link_text: 'Your wallet gave you this one-time link. Once you create a passkey, you can sign in to the same Net ID in this browser.', link: 'Create a passkey',
    no_passkey: 'No passkey yet? Run netid wallet link-browser in your wallet and open the link it gives in this browser.',
    certificates_title: 'My certificates', no_certificates: 'You have no certificates yet (netid wallet certificate asks for one).', serial: 'Serial', profile_kind: 'Use', valid_until: 'Valid until', state: 'State', revoked: 'revoked', valid: 'valid',
    home_title: 'My Net ID', net_id: 'Net ID', consents_title: 'My consents', no_consents: 'You have no live consent with any platform.',
    record_title: 'What the service holds about me', record_note: 'This is what the document authority\'s roster gave the service, opened for you alone. A wrong field is corrected by the authority.', record_show: 'Show my record',
    correction_label: 'What is wrong, and what is right (one line, up to 500 characters)', correction_ask: 'Ask the authority to correct it', correction_asked: (reference) => `Your request ${reference} went to the document authority. When it corrects its roster, your record follows and the request closes.`,
    correction_item: (c) => `Correction ${c.reference} (${c.authority}): ${c.closed_at ? 'closed, the roster corrected your record' : 'open'}`,
    record_fields: { document: 'Document', name: 'Name', birth_date: 'Birth date', sex: 'Sex', nationality: 'Nationality', expiry: 'Valid until' }, record_expired: ' (expired)',
    lock_title: 'Locking your Net ID', lock_text: 'If you suspect misuse, lock it: while it is locked your Net ID is used for no verification, sign-in, consent or issuance, and your Net Certificates are revoked (ask for new ones after unlocking). Your history stays readable; locking and unlocking are both in it.',
    locked_text: 'Your Net ID is locked: it is used for no verification, sign-in, consent or issuance now.', lock: 'Lock my Net ID', unlock: 'Unlock my Net ID', now_locked: 'Your Net ID is locked.', now_unlocked: 'Your Net ID is unlocked.',
    security_title: 'Passkeys and sign-ins', passkey: 'Passkey', session: 'Sign-in', added: 'Added', ends: 'Ends', this_session: ' (this one)', remove: 'Remove', end_session: 'End',
    no_passkeys: 'You have no passkey.', passkey_removed: 'Passkey removed.', session_ended: 'Sign-in ended.',
    platform: 'Platform', field: 'Field', given: 'Given', withdraw: 'Withdraw', withdrawn: 'Withdrawn.', profile: 'published profile',
    history_title: 'History', history_text: 'Every verification, disclosure, consent and withdrawal is in the public transparency log. These are your entries.',
    proof_verified: (size) => `✓ Checked in this page: in the signed checkpoint of ${size} entries, and tagged for this person`,
    proof_not_included: '✗ The inclusion proof fails: this entry is not in the signed checkpoint',
    proof_not_theirs: '✗ This entry is not tagged for this person',
    retention_text: (days) => `The centre remembers that a verification, sign-in or disclosure was yours for ${days} days only; then it destroys that link and the key that could restore it. The entry stays in the public log, but no one, the centre included, can tell it was yours. To keep it, save this history yourself.`,
    kept_until: (date) => `The centre knows this entry is yours until ${date}`,
    one_off_key: "This entry's notice was deferred: its tag was made with a one-off key the service revealed afterwards, so the check shows only that the tag matches that key.",
    checkpoint_failed: { bad_signature: "✗ The log checkpoint's signature does not hold; none of the entries below is checked.", malformed: '✗ The log checkpoint or the log key is malformed; none of the entries below is checked.', unavailable: "✗ The page's SM2/SM3 script did not load; none of the entries below is checked." },
    proof_note: "This page checks the checkpoint's signature with the log key (/v1/log/key), then each entry against the checkpoint by its inclusion proof. The key and this page both come from this service; to check independently, run netid wallet log --log-key with a log key you got elsewhere.",
    wards_title: 'Minors in my care', ward_platforms: 'Platforms used', first_use: 'first use',
    ward_title: (id) => `Net ID ${id}`, ward_approved: 'Platforms you approved (a child under 14 is verified and signed in only at these)', ward_approve_label: 'Approve a platform for this child (the platform\'s client id)', ward_approve: 'Approve', ward_approved_now: (id) => `Platform ${id} approved.`,
    notice_title: 'Notice', delete_title: 'Delete my data',
    notice_headings: { operator: 'Who processes your data, and how to reach them', purpose: 'Purpose', method: 'Method', held: 'What the centre holds', retention: 'How long', rights: 'Your rights, and how to use them', sensitive_data: 'Sensitive data, and why it is needed', version: 'Version' },
    accept_notice_box: 'I have read the notice above and agree that the centre processes my data as it says.',
    notice_changed: (version) => `The notice has changed (version ${version}). Read and accept it to go on using your Net ID for verification, sign-in and credentials.`,
    accept_notice: 'Accept the notice', notice_accepted: 'You accepted the new notice.',
    alerts_title: 'Alerts', alerts_text: (n) => `The service can tell you through your browser's push service each time your Net ID is verified, used to sign in or discloses data; an alert says only that there is something new, which you see by opening this app. Browsers with alerts on: ${n}.`,
    alerts_on: 'Turn alerts on in this browser', alerts_off: 'Turn all alerts off', alerts_done: 'Alerts are on.', alerts_removed: 'Alerts are off.', alerts_unsupported: 'This browser cannot receive push alerts.',
    delete_text: 'This cannot be undone: your Net ID is retired for good, your Net Certificates and certificates are revoked, your consents end, platforms can no longer verify you, and the service can no longer read your record. The transparency log keeps its entries (they carry no personal data).',
    delete_label: 'Type "delete my data" to confirm', delete: 'Delete for good', deleted: 'Your data is deleted.',
    profile_title: 'Published profile', basis: 'Legal basis', purpose: 'Purpose', retention: 'Retention', days: 'days', approved_until: 'Approved until',
    standing: { suspended: (s) => `The operator suspended this platform (since ${s.since}): ${s.reason}`, removed: (s) => `The operator removed this platform (since ${s.since}): ${s.reason}` },
    commitments_yes: 'This platform declares (Art. 7): once you are verified with your Net ID it asks you for no further identity data in plaintext, and it serves people who do not use a Net ID as it serves those who do.',
    commitments_no: 'This platform has not declared the two commitments of Art. 7; the law binds it to them all the same.',
    complain_title: 'Complain about this platform', complain_note: 'Your words are encrypted and read only by the operator\'s system administrators; the platform receives nothing and is not told who complained.',
    complain_category: 'What the platform did', complain_text: 'What happened (one line, up to 1000 characters)', complain_send: 'Send the complaint',
    complain_sent: (reference) => `Complaint ${reference} received. The operator's answer will show under My Net ID → Show my record.`,
    complaint_categories: { extra_plaintext: 'Asked me for more identity data after the Net ID check', refused_without_net_id: 'Refused me service because I do not use a Net ID', kept_past_retention: 'Kept my data longer than it declared', other: 'Something else' },
    complaint_statuses: { received: 'received', investigating: 'being looked into', upheld: 'upheld', dismissed: 'dismissed' },
    complaint_item: (c, platform) => `Complaint ${c.reference} (${platform}): ${c.status}${c.resolution ? `. Answer: ${c.resolution}` : ''}`,
    wallet_app_title: 'Net Certificates in a wallet app',
    wallet_app_text: 'You can keep Net Certificates in a wallet app that speaks OpenID4VCI; the service does not learn when you present them. Do this on your own devices only.',
    wallet_app_offer: 'Make an offer',
    wallet_app_again: 'Make a new one',
    wallet_app_qr: 'Scan this QR code with your wallet app to take your Net Certificates',
    wallet_app_link: 'Open in a wallet app on this device',
    wallet_app_code: 'The transaction code your wallet app asks for:',
    wallet_app_until: (time) => `Valid until ${time}, once. Tell no one the code.`,
    receipt_item: (r) => `${r.client_id}, told of ${r.event === 'account_purged' ? 'your deletion' : 'a withdrawn consent'}: ${r.deleted ? `deleted ${r.deleted.join(', ')}` : r.acknowledged_at ? 'acknowledged, has not said what it deleted yet' : 'not acknowledged yet'} (${r.reference})`,
    deleted_receipts: 'The platforms are told to delete what they hold about you. Keep these references: with them you can read what each platform says it deleted (the service no longer knows they are yours).',
    kinds: { signal_acknowledged: 'A platform confirmed it got a deletion, withdrawal or lock notice', deletion_receipt: 'A platform said what it deleted', complaint_filed: 'Complaint filed', complaint_handled: 'Complaint handled by the operator', guardianship_changed: 'Guardianship changed', platform_approved: 'Platform approved by a guardian', correction_requested: 'Correction asked for', record_updated: 'Record updated by the document authority', net_id_locked: 'Net ID locked', net_id_unlocked: 'Net ID unlocked', passkey_added: 'Passkey added', passkey_removed: 'Passkey removed', enrollment: 'Enrollment', recovery: 'Recovery', verification: 'Verification', disclosure: 'Disclosure', consent_given: 'Consent given', consent_withdrawn: 'Consent withdrawn', deletion: 'Deletion', operator_read: 'Operator read', credential_issued: 'Net Certificate issued', credential_revoked: 'Net Certificate revoked', certificate_issued: 'Certificate issued', certificate_revoked: 'Certificate revoked' },
    fields: { net_id: 'Net ID', name: 'Name', birth_date: 'Date of birth', document_type: 'Document type', document_number: 'Document number', nationality: 'Nationality' , authentication_history: 'Authentication history (which platforms verified you, and when)' },
    failed: 'Something went wrong: ',
  },
}

let lang = localStorage.getItem('netid-lang') === 'en' ? 'en' : 'zh'
const t = (key) => TEXT[lang][key]
const main = document.getElementById('main')
const status = document.getElementById('status')

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'onclick') node.addEventListener('click', value)
    else node.setAttribute(name, value)
  }
  for (const child of children) node.append(child)
  return node
}

const b64url = {
  encode: (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
  decode: (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
}

// Each route() starts a new generation; a page still waiting on an older one gives up, so
// that a slow answer never paints over the page the holder went to since.
let generation = 0
class Stale extends Error {}

async function api(method, path, body, as = 'json') {
  const mine = generation
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  })
  const data = as === 'text' && response.ok ? await response.text() : await response.json().catch(() => ({}))
  if (mine !== generation) throw new Stale()
  if (!response.ok) {
    const error = new Error(data.detail || data.title || response.statusText)
    error.status = response.status
    throw error
  }
  return data
}

function show(title, ...content) {
  // The page's language changes with its content, so that the two always agree.
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
  main.replaceChildren(el('h1', {}, title), ...content)
  main.focus()
}

function fail(error) {
  if (error instanceof Stale) return
  status.textContent = t('failed') + error.message
}

const when = (seconds) => new Date(seconds * 1000).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB')
const fieldName = (field) => t('fields')[field] ?? field

// Where to go after signing in: back to a consent screen of this service, nowhere else.
function returnPath() {
  const match = location.hash.match(/^#return=(.+)$/)
  if (!match) return null
  try {
    const target = new URL(decodeURIComponent(match[1]), location.origin)
    return target.origin === location.origin && target.pathname === '/oidc/authorize' ? target.pathname + target.search : null
  } catch {
    return null
  }
}

// The browser wallet: a P-256 key made here, its private half not extractable, kept in
// IndexedDB. It signs what the CLI wallet signs (the same messages, r||s signatures).
const WALLET_DB = 'netid-wallet'

function walletStore(mode, act) {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(WALLET_DB, 1)
    opening.onupgradeneeded = () => opening.result.createObjectStore('keys')
    opening.onerror = () => reject(opening.error)
    opening.onsuccess = () => {
      const request = act(opening.result.transaction('keys', mode).objectStore('keys'))
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    }
  })
}

async function walletKey() {
  const known = await walletStore('readonly', (keys) => keys.get('wallet'))
  if (known) return known
  const made = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  await walletStore('readwrite', (keys) => keys.put(made, 'wallet'))
  return made
}

// P-256's group order: the service takes only low-S signatures (s at most n / 2), the one
// encoding of each, and WebCrypto may answer with the high twin (r, n - s).
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n

async function walletSign(key, lines) {
  const message = new TextEncoder().encode(lines.join('\n'))
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, message))
  const s = BigInt('0x' + Array.from(signature.slice(32), (byte) => byte.toString(16).padStart(2, '0')).join(''))
  if (s > P256_ORDER / 2n) {
    const low = (P256_ORDER - s).toString(16).padStart(64, '0')
    for (let i = 0; i < 32; i++) signature[32 + i] = parseInt(low.slice(2 * i, 2 * i + 2), 16)
  }
  return b64url.encode(signature)
}

// A wallet-signed request's proof: a fresh request id (used once), the time, and the signature
// over the purpose line, the request's fields, the id and the time.
async function walletSigned(key, purpose, fields) {
  const request_id = b64url.encode(crypto.getRandomValues(new Uint8Array(16)))
  const timestamp = Math.floor(Date.now() / 1000)
  return {
    wallet_key: await walletPublicKey(key),
    request_id,
    timestamp,
    signature: await walletSign(key, [purpose, ...fields, request_id, String(timestamp)]),
  }
}

async function walletPublicKey(key) {
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', key.publicKey)
  return { jwk: { kty, crv, x, y } }
}

async function enroll(form) {
  try {
    const key = await walletKey()
    const data = new FormData(form)
    const [type, number, name, code] = ['document_type', 'document_number', 'name', 'code'].map((field) => String(data.get(field) ?? '').trim())
    const enrolled = await api('POST', '/v1/holders/enroll', {
      document_type: type,
      document_number: number,
      name,
      ...(code ? { enrollment_code: code } : {}),
      notice_version: form.dataset.noticeVersion,
      ...await walletSigned(key, 'netid-enrollment-v3', [type, number, name, code, form.dataset.noticeVersion]),
    })
    status.textContent = enrolled.outcome === 'recovered' ? t('recovered')(enrolled.net_id) : t('enrolled')(enrolled.net_id)
    // A one-time link from this wallet, used at once for this browser's passkey.
    const link = await api('POST', '/v1/holders/passkeys/link', await walletSigned(key, 'netid-passkey-link-v2', []))
    const code_ = new URL(link.url).hash.replace(/^#link=/, '')
    main.replaceChildren(el('h1', {}, t('link_title')), el('p', {}, status.textContent), el('button', { type: 'button', onclick: () => createPasskey(code_) }, t('link')))
  } catch (error) {
    fail(error)
  }
}

// The notice in the page's language, each part under its heading.
async function noticeSections(heading = 'h2') {
  const notice = await api('GET', `/v1/notice?lang=${lang}`)
  const headings = t('notice_headings')
  const part = (key, ...content) => el('section', { 'data-notice': key }, el(heading, {}, headings[key]), ...content)
  const sections = [
    part('operator', el('p', {}, notice.operator)),
    part('purpose', el('p', {}, notice.purpose)),
    part('method', el('p', {}, notice.method)),
    part('held', el('ul', {}, ...notice.held.map((item) => el('li', {}, item)))),
    part('retention', el('p', {}, notice.retention)),
    part('rights', el('p', {}, notice.rights)),
    part('sensitive_data', el('p', {}, notice.sensitive_data)),
    el('p', { class: 'muted' }, `${headings.version}: ${notice.version}`),
  ]
  return { notice, sections }
}

// The notice first, then the form; the document goes only with the notice accepted.
async function enrollPage() {
  const { notice, sections } = await noticeSections('h3')
  const field = (id, label, input) => [el('label', { for: id }, label), input]
  const types = el('select', { id: 'document_type', name: 'document_type' },
    ...Object.entries(t('documents')).map(([value, label]) => el('option', { value }, label)))
  const form = el('form', {},
    ...field('document_type', t('document_type'), types),
    ...field('document_number', t('document_number'), el('input', { type: 'text', id: 'document_number', name: 'document_number', required: '', autocomplete: 'off' })),
    ...field('name', t('full_name'), el('input', { type: 'text', id: 'name', name: 'name', required: '', autocomplete: 'name' })),
    ...field('code', t('enrollment_code'), el('input', { type: 'text', id: 'code', name: 'code', autocomplete: 'off' })),
    el('p', {}, el('input', { type: 'checkbox', id: 'accept-notice', name: 'accept_notice', required: '' }), ' ', el('label', { for: 'accept-notice' }, t('accept_notice_box'))),
    el('p', {}, el('button', { type: 'submit' }, t('enroll'))))
  form.dataset.noticeVersion = notice.version
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    enroll(form)
  })
  show(t('enroll_title'), el('p', {}, t('enroll_text')), el('div', { id: 'enroll-notice' }, el('h2', {}, t('notice_title')), ...sections), form, el('p', { class: 'muted' }, t('minor_note')))
}

async function signIn() {
  try {
    const { challenge, rp_id } = await api('POST', '/app/api/challenge')
    // The passkey made in this browser, if any (its id is no secret); else any passkey for
    // this service that the authenticator holds.
    const known = localStorage.getItem('netid-credential')
    const allowCredentials = known ? [{ type: 'public-key', id: b64url.decode(known) }] : []
    const credential = await navigator.credentials.get({
      publicKey: { challenge: b64url.decode(challenge), rpId: rp_id, userVerification: 'required', allowCredentials },
    })
    await api('POST', '/app/api/session', {
      challenge,
      credential_id: b64url.encode(credential.rawId),
      client_data_json: b64url.encode(credential.response.clientDataJSON),
      authenticator_data: b64url.encode(credential.response.authenticatorData),
      signature: b64url.encode(credential.response.signature),
    })
    const back = returnPath()
    if (back) location.assign(back)
    else {
      // The hash may be #home already, which fires no hashchange.
      history.replaceState(null, '', '/app/#home')
      await route()
    }
  } catch (error) {
    fail(error)
  }
}

async function createPasskey(link) {
  try {
    const { challenge, rp_id, rp_name } = await api('POST', '/app/api/challenge')
    const credential = await navigator.credentials.create({
      publicKey: {
        challenge: b64url.decode(challenge),
        rp: { id: rp_id, name: rp_name },
        // The authenticator needs a user handle; it is random and says nothing of the holder.
        user: { id: crypto.getRandomValues(new Uint8Array(16)), name: 'netid', displayName: 'netid' },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        attestation: 'none',
      },
    })
    await api('POST', '/app/api/passkeys', {
      link,
      challenge,
      credential_id: b64url.encode(credential.rawId),
      client_data_json: b64url.encode(credential.response.clientDataJSON),
      authenticator_data: b64url.encode(credential.response.getAuthenticatorData()),
      public_key: b64url.encode(credential.response.getPublicKey()),
      public_key_algorithm: credential.response.getPublicKeyAlgorithm(),
    })
    localStorage.setItem('netid-credential', b64url.encode(credential.rawId))
    history.replaceState(null, '', '/app/#home')
    route()
  } catch (error) {
    fail(error)
  }
}

function signInPage() {
  show(t('sign_in_title'), el('p', {}, t('sign_in_text')), el('button', { type: 'button', onclick: signIn }, t('sign_in')), el('p', {}, el('a', { href: '#enroll' }, t('enroll_link'))), el('p', { class: 'muted' }, t('no_passkey')))
}

async function home() {
  const me = await api('GET', '/app/api/me')
  const rows = me.consents.map((consent) =>
    el('tr', {},
      el('td', {}, consent.platform ?? consent.client_id, ' ', el('a', { href: `#profile=${encodeURIComponent(consent.client_id)}` }, `(${t('profile')})`)),
      el('td', {}, fieldName(consent.field)),
      el('td', {}, when(consent.given_at)),
      el('td', {}, el('button', {
        type: 'button', class: 'secondary', 'aria-label': `${t('withdraw')}: ${consent.platform ?? consent.client_id} ${fieldName(consent.field)}`,
        onclick: async () => {
          try {
            await api('POST', '/app/api/consents/withdraw', { client_id: consent.client_id, fields: [consent.field] })
            status.textContent = t('withdrawn')
            await home()
          } catch (error) { fail(error) }
        },
      }, t('withdraw')))))
  const consents = rows.length
    ? el('table', {}, el('thead', {}, el('tr', {}, ...[t('platform'), t('field'), t('given'), ''].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows))
    : el('p', {}, t('no_consents'))
  const certificateRows = me.certificates.map((certificate) =>
    el('tr', {}, el('td', {}, certificate.serial.slice(0, 16) + '…'), el('td', {}, certificate.profile), el('td', {}, when(certificate.not_after)), el('td', {}, certificate.revoked ? t('revoked') : t('valid'))))
  const certificates = certificateRows.length
    ? el('table', {}, el('thead', {}, el('tr', {}, ...[t('serial'), t('profile_kind'), t('valid_until'), t('state')].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...certificateRows))
    : el('p', {}, t('no_certificates'))
  show(t('home_title'), ...await noticeUpdate(me), el('p', {}, t('net_id')), el('p', { class: 'netid', id: 'net-id' }, me.net_id), el('h2', {}, t('consents_title')), consents, el('h2', {}, t('certificates_title')), certificates,
    el('h2', {}, t('wallet_app_title')), walletAppSection(),
    el('h2', {}, t('alerts_title')), alertsSection(me),
    el('h2', {}, t('record_title')), recordSection(), el('h2', {}, t('lock_title')), lockSection(me), el('h2', {}, t('security_title')), securityTable(me))
}

// Net Certificates into a wallet app (OpenID4VCI): an offer as a link and a QR code, and its
// transaction code shown apart. The QR code is drawn here from its modules (the page's policy
// loads no image it did not serve).
function walletAppSection() {
  const section = el('div', { id: 'wallet-app' }, el('p', {}, t('wallet_app_text')))
  const offer = async () => {
    try {
      const made = await api('POST', '/app/api/credential-offer')
      const size = made.qr.length
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
      svg.setAttribute('viewBox', `-4 -4 ${size + 8} ${size + 8}`)
      svg.setAttribute('role', 'img')
      svg.setAttribute('aria-label', t('wallet_app_qr'))
      svg.setAttribute('class', 'qr')
      const background = document.createElementNS(svg.namespaceURI, 'rect')
      for (const [name, value] of [['x', -4], ['y', -4], ['width', size + 8], ['height', size + 8], ['fill', '#fff']]) background.setAttribute(name, value)
      svg.append(background)
      made.qr.forEach((row, y) => [...row].forEach((module, x) => {
        if (module !== '1') return
        const dark = document.createElementNS(svg.namespaceURI, 'rect')
        for (const [name, value] of [['x', x], ['y', y], ['width', 1], ['height', 1], ['fill', '#000']]) dark.setAttribute(name, value)
        svg.append(dark)
      }))
      const until = new Date(Date.now() + made.expires_in * 1000)
      section.replaceChildren(el('p', {}, t('wallet_app_text')), svg,
        el('p', {}, el('a', { href: made.offer_uri, id: 'offer-link' }, t('wallet_app_link'))),
        el('p', {}, t('wallet_app_code'), ' ', el('strong', { id: 'tx-code', class: 'netid' }, made.tx_code)),
        el('p', { class: 'muted' }, t('wallet_app_until')(until.toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en'))),
        el('button', { type: 'button', class: 'secondary', onclick: offer }, t('wallet_app_again')))
    } catch (error) { fail(error) }
  }
  section.append(el('button', { type: 'button', class: 'secondary', onclick: offer }, t('wallet_app_offer')))
  return section
}

// Alerts by Web Push: this browser subscribes with the service's VAPID key; the service then
// posts to the push service the browser chose, with nothing personal in the message.
function alertsSection(me) {
  const on = async () => {
    try {
      if (!('serviceWorker' in navigator) || !('PushManager' in window)) throw new Error(t('alerts_unsupported'))
      const registration = await navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' })
      const { public_key: key } = await api('GET', '/v1/push/key')
      const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64url.decode(key) })
      await api('POST', '/app/api/push', subscription.toJSON())
      await home()
      status.textContent = t('alerts_done')
    } catch (error) { fail(error) }
  }
  const off = async () => {
    try {
      for (const id of me.push) await api('POST', '/app/api/push/remove', { id })
      await home()
      status.textContent = t('alerts_removed')
    } catch (error) { fail(error) }
  }
  return el('div', { id: 'alerts', 'data-subscriptions': String(me.push.length) },
    el('p', {}, t('alerts_text')(me.push.length)),
    el('button', { type: 'button', class: 'secondary', onclick: on }, t('alerts_on')),
    ...(me.push.length ? [' ', el('button', { type: 'button', class: 'secondary', onclick: off }, t('alerts_off'))] : []))
}

// The record the service holds, opened only when the holder asks (it is personal data).
function recordSection() {
  const section = el('div', { id: 'record' })
  const show = async () => {
    try {
      const record = await api('GET', '/app/api/record')
      const fields = t('record_fields')
      const rows = [
        [fields.document, `${record.document_type} ${record.document_number}`],
        [fields.name, record.name],
        [fields.birth_date, record.birth_date],
        ...(record.sex ? [[fields.sex, record.sex]] : []),
        [fields.nationality, record.nationality],
        [fields.expiry, record.expiry + (record.document_valid ? '' : t('record_expired'))],
      ]
      const message = el('input', { type: 'text', id: 'correction', name: 'correction', maxlength: '500', required: '' })
      const form = el('form', {}, el('label', { for: 'correction' }, t('correction_label')), message, el('p', {}, el('button', { type: 'submit', class: 'secondary' }, t('correction_ask'))))
      form.addEventListener('submit', async (event) => {
        event.preventDefault()
        try {
          const asked = await api('POST', '/app/api/corrections', { message: message.value.trim() })
          await show()
          status.textContent = t('correction_asked')(asked.reference)
        } catch (error) { fail(error) }
      })
      const corrections = (record.corrections ?? []).map((c) => el('li', { 'data-correction': c.closed_at ? 'closed' : 'open' }, t('correction_item')(c)))
      const complaints = (record.complaints ?? []).map((c) => el('li', { 'data-complaint': c.status },
        t('complaint_item')({ ...c, status: t('complaint_statuses')[c.status] ?? c.status }, c.client_id)))
      const receipts = (record.receipts ?? []).map((r) => el('li', { 'data-receipt': r.deleted ? 'given' : r.acknowledged_at ? 'acknowledged' : 'sent' }, t('receipt_item')(r)))
      section.replaceChildren(el('p', { class: 'muted' }, t('record_note')),
        el('table', {}, el('tbody', {}, ...rows.map(([name, value]) => el('tr', {}, el('th', { scope: 'row' }, name), el('td', { 'data-field': name }, value))))),
        ...(corrections.length ? [el('ul', { id: 'corrections' }, ...corrections)] : []), form,
        ...(complaints.length ? [el('ul', { id: 'complaints' }, ...complaints)] : []),
        ...(receipts.length ? [el('ul', { id: 'receipts' }, ...receipts)] : []))
    } catch (error) { fail(error) }
  }
  section.append(el('button', { type: 'button', class: 'secondary', onclick: show }, t('record_show')))
  return section
}

// The lock: the state said plainly, and the one button that changes it.
function lockSection(me) {
  const change = async () => {
    try {
      const { locked } = await api('POST', me.locked ? '/app/api/unlock' : '/app/api/lock', {})
      await home()
      status.textContent = t(locked ? 'now_locked' : 'now_unlocked')
    } catch (error) { fail(error) }
  }
  return el('div', { id: 'lock', 'data-locked': String(me.locked) },
    el('p', { class: me.locked ? 'bad' : '' }, t(me.locked ? 'locked_text' : 'lock_text')),
    el('button', { type: 'button', class: me.locked ? '' : 'secondary', onclick: change }, t(me.locked ? 'unlock' : 'lock')))
}

// The holder's passkeys and sign-ins, each removable; ending this sign-in signs out.
function securityTable(me) {
  const act = (label, name, path, id, done) => el('button', {
    type: 'button', class: 'secondary', 'aria-label': `${label}: ${name}`,
    onclick: async () => {
      try {
        await api('POST', path, { id })
        // Drawn again first (ending this sign-in shows the sign-in page), then said.
        await route()
        status.textContent = t(done)
      } catch (error) { fail(error) }
    },
  }, label)
  const rows = [
    ...me.passkeys.map((passkey) => el('tr', { 'data-passkey': passkey.id },
      el('td', {}, `${t('passkey')} ${passkey.id.slice(0, 8)}…`), el('td', {}, `${t('added')} ${when(passkey.added_at)}`),
      el('td', {}, act(t('remove'), `${t('passkey')} ${passkey.id.slice(0, 8)}`, '/app/api/passkeys/remove', passkey.id, 'passkey_removed')))),
    ...me.sessions.map((session) => el('tr', { 'data-session': session.id },
      el('td', {}, `${t('session')} ${session.id.slice(0, 8)}${session.current ? t('this_session') : ''}`), el('td', {}, `${t('ends')} ${when(session.expires_at)}`),
      el('td', {}, act(t('end_session'), `${t('session')} ${session.id.slice(0, 8)}`, '/app/api/sessions/remove', session.id, 'session_ended')))),
  ]
  const table = el('table', { id: 'security' }, el('tbody', {}, ...rows))
  return me.passkeys.length ? table : el('div', {}, el('p', {}, t('no_passkeys')), table)
}

// One history entry, with the outcome of its check in the page (`data-proof`).
async function entryItem(entry, checkpoint, logKey) {
  let leaf = {}
  try { leaf = JSON.parse(entry.leaf) } catch { /* checkEntry reports it */ }
  const kind = t('kinds')[leaf.kind] ?? String(leaf.kind)
  const outcome = checkpoint ? await checkEntry(checkpoint, entry, logKey) : 'unchecked'
  const item = el('li', { 'data-kind': leaf.kind, 'data-proof': outcome }, el('strong', {}, kind), ' · ', when(leaf.minute * 60))
  if (leaf.platform) item.append(' · ', el('a', { href: `#profile=${encodeURIComponent(leaf.platform)}` }, leaf.platform))
  if (checkpoint) {
    const words = outcome === 'verified' ? t('proof_verified')(checkpoint.size) : t(`proof_${outcome}`)
    item.append(el('br'), el('span', { class: outcome === 'verified' ? 'ok' : 'bad' }, words))
    // A deferred notice's entry was tagged with a one-off key the service revealed later: the
    // tag shows only that it matches that key.
    if (outcome === 'verified' && entry.tag_key && !entry.kept_until) item.append(el('br'), el('span', { class: 'muted' }, t('one_off_key')))
  }
  if (entry.kept_until) item.append(el('br'), el('span', { class: 'muted kept-until' }, t('kept_until')(when(entry.kept_until))))
  return item
}

async function entryList(entries, checkpoint, logKey) {
  return el('ul', { class: 'entries' }, ...await Promise.all(entries.map((entry) => entryItem(entry, checkpoint, logKey))))
}

async function historyPage() {
  const [log, vkey] = await Promise.all([api('GET', '/app/api/history'), api('GET', '/v1/log/key', undefined, 'text')])
  const content = [el('p', {}, t('history_text')), el('p', { id: 'retention' }, t('retention_text')(log.use_link_retention_days))]
  let checkpoint = null
  try {
    checkpoint = await verifyCheckpoint(log.checkpoint, vkey)
  } catch (error) {
    if (!(error instanceof LogCheckError)) throw error
    content.push(el('p', { class: 'bad', id: 'checkpoint-failed', 'data-reason': error.code }, t('checkpoint_failed')[error.code]))
  }
  content.push(await entryList(log.entries, checkpoint, log.log_key), el('p', { class: 'muted' }, t('proof_note')))
  if (log.wards?.length) {
    content.push(el('h2', {}, t('wards_title')))
    for (const ward of log.wards) {
      const platforms = (ward.platforms ?? []).map((used) => el('li', {}, used.client_id, ` (${t('first_use')}: ${when(used.first_minute * 60)})`))
      content.push(el('section', { class: 'ward', 'data-net-id': ward.net_id }, el('h3', {}, t('ward_title')(ward.net_id)),
        el('h4', {}, t('ward_platforms')), el('ul', { class: 'platforms' }, ...platforms),
        el('h4', {}, t('ward_approved')), el('ul', { class: 'approved' }, ...(ward.approved_platforms ?? []).map((id) => el('li', {}, id))),
        approveForm(ward.net_id), await entryList(ward.entries, checkpoint, ward.log_key)))
    }
  }
  show(t('history_title'), ...content)
}

// A guardian approves a platform for a child under 14 in their care.
function approveForm(netId) {
  const id = `approve-${netId.replace(/[^A-Za-z0-9]/g, '')}`
  const input = el('input', { type: 'text', id, name: 'client_id', required: '', autocomplete: 'off' })
  const form = el('form', { class: 'approve' }, el('label', { for: id }, t('ward_approve_label')), input, el('p', {}, el('button', { type: 'submit', class: 'secondary' }, t('ward_approve'))))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const approved = await api('POST', '/app/api/wards/platforms', { ward_net_id: netId, client_id: input.value.trim() })
      await historyPage()
      status.textContent = t('ward_approved_now')(approved.client_id)
    } catch (error) { fail(error) }
  })
  return form
}

async function noticePage() {
  const { sections } = await noticeSections()
  show(t('notice_title'), ...sections)
}

// A new notice, shown at the top of the home page until the holder accepts it.
async function noticeUpdate(me) {
  if (me.notice_accepted) return []
  const { notice, sections } = await noticeSections()
  const accept = async () => {
    try {
      await api('POST', '/app/api/notice', { notice_version: notice.version })
      await home()
      status.textContent = t('notice_accepted')
    } catch (error) { fail(error) }
  }
  return [el('div', { id: 'notice-update' }, el('p', { class: 'bad' }, t('notice_changed')(notice.version)), ...sections,
    el('button', { type: 'button', onclick: accept }, t('accept_notice')))]
}

async function profilePage(clientId) {
  const signed = await api('GET', `/v1/platforms/${encodeURIComponent(clientId)}/profile`)
  const profile = JSON.parse(new TextDecoder().decode(b64url.decode(signed.payload)))
  const rows = profile.fields.map((field) => el('tr', {}, el('th', { scope: 'row' }, fieldName(field.field)), el('td', {}, field.legal_basis), el('td', {}, field.purpose),
    el('td', {}, `${field.retention_days} ${t('days')}`), el('td', {}, field.approved_until ? when(field.approved_until) : '')))
  const standing = profile.standing.status === 'active' ? []
    : [el('p', { class: 'notice', id: 'standing', 'data-status': profile.standing.status }, t('standing')[profile.standing.status]({ since: when(profile.standing.since), reason: profile.standing.reason }))]
  show(`${t('profile_title')}: ${profile.name}`, ...standing,
    el('p', { id: 'commitments', 'data-declared': String(Boolean(profile.commitments)) }, profile.commitments ? t('commitments_yes') : t('commitments_no')),
    el('table', {}, el('thead', {}, el('tr', {}, ...[t('field'), t('basis'), t('purpose'), t('retention'), t('approved_until')].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows)),
    el('h2', {}, t('complain_title')), complaintForm(clientId))
}

// A complaint about a platform, from its profile page: nothing of it goes to the platform.
function complaintForm(clientId) {
  const category = el('select', { id: 'complaint-category' },
    ...Object.entries(t('complaint_categories')).map(([value, label]) => el('option', { value }, label)))
  const text = el('input', { type: 'text', id: 'complaint-text', maxlength: '1000', required: '' })
  const form = el('form', { id: 'complaint' }, el('p', { class: 'muted' }, t('complain_note')),
    el('label', { for: 'complaint-category' }, t('complain_category')), category,
    el('label', { for: 'complaint-text' }, t('complain_text')), text,
    el('p', {}, el('button', { type: 'submit', class: 'secondary' }, t('complain_send'))))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const filed = await api('POST', '/app/api/complaints', { client_id: clientId, category: category.value, text: text.value.trim() })
      text.value = ''
      status.textContent = t('complain_sent')(filed.reference)
      status.dataset.complaint = filed.reference
    } catch (error) { fail(error) }
  })
  return form
}

function deletePage() {
  const input = el('input', { type: 'text', id: 'confirm', autocomplete: 'off' })
  const button = el('button', {
    type: 'button', class: 'danger',
    onclick: async () => {
      try {
        const deleted = await api('POST', '/app/api/delete', { confirm: input.value.trim() })
        document.getElementById('nav').hidden = true
        const references = deleted.receipts ?? []
        show(t('deleted'), ...(references.length
          ? [el('p', {}, t('deleted_receipts')), el('ul', { id: 'receipt-references' }, ...references.map((reference) => el('li', {}, el('a', { href: `/v1/transparency/receipts/${reference}` }, reference))))]
          : []))
      } catch (error) { fail(error) }
    },
  }, t('delete'))
  show(t('delete_title'), el('p', {}, t('delete_text')), el('label', { for: 'confirm' }, t('delete_label')), input, el('p', {}, button))
}

async function route() {
  generation += 1
  status.textContent = ''
  // The button names the other language, in that language (its accessible name is its text).
  const other = document.getElementById('language')
  other.textContent = t('language')
  other.lang = lang === 'zh' ? 'en' : 'zh-CN'
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t)
  const hash = location.hash
  const link = hash.match(/^#link=(.+)$/)
  const nav = document.getElementById('nav')
  if (hash === '#enroll') {
    nav.hidden = true
    await enrollPage().catch(fail)
    return
  }
  if (link) {
    nav.hidden = true
    show(t('link_title'), el('p', {}, t('link_text')), el('button', { type: 'button', onclick: () => createPasskey(link[1]) }, t('link')))
    return
  }
  try {
    const profile = hash.match(/^#profile=(.+)$/)
    if (hash === '#history') await historyPage()
    else if (hash === '#notice') await noticePage()
    else if (hash === '#delete') deletePage()
    else if (profile) await profilePage(decodeURIComponent(profile[1]))
    else await home()
    nav.hidden = false
  } catch (error) {
    if (error instanceof Stale) return
    nav.hidden = true
    if (error.status === 401) signInPage()
    else fail(error)
  }
}

document.getElementById('language').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh'
  localStorage.setItem('netid-lang', lang)
  route()
})
document.getElementById('sign-out').addEventListener('click', async () => {
  await api('POST', '/app/api/logout').catch(() => {})
  location.hash = '#home'
  route()
})
window.addEventListener('hashchange', route)
route()
