// The operator console, on the administration listener only: the queue of acts that wait
// for a second operator, the operator accounts, and the security events. The operator's key
// is read from a file into this page's memory (never sent, never stored) and signs every
// request as the CLI does: a JWS (typ netid-operator+jwt) over the method, the path, the
// time, a fresh jti and the SHA-256 of the body. WebCrypto signs P-256 (ES256); an SM2 key is
// used from the CLI. A security administrator, CA officer or data-protection officer adds a
// passkey here and confirms with it before changing anything (the service's second factor).
// Pages are built with DOM calls and textContent only.

const TEXT = {
  zh: {
    language: 'English', title: 'netid 运营控制台',
    sign_in_title: '登录', sign_in_text: '选择您自己的运营人员密钥文件（P-256，PKCS#8 PEM，由 netid operator keygen --suite intl 生成）。密钥只在本页内存中使用，不会上传或保存。',
    key_file: '运营人员密钥文件', signed_in_as: '已登录：',
    nav_acts: '待办事项', nav_operators: '运营人员', nav_events: '安全事件', nav_platforms: '平台',
    platforms_title: '平台及其状态', no_platforms: '还没有平台。', platform: '平台', since: '自', reason: '原因', change: '更改状态',
    new_status: '新状态', reason_public: '原因（会公开在平台说明中，不要写个人信息）', ask: '提出申请',
    asked: '已提出申请 {id}：需要另一位系统管理员在“待办事项”中批准，之后由您执行。',
    platform_statuses: { active: '正常', suspended: '已暂停', removed: '已移除' },
    nav_complaints: '投诉', complaints_title: '对平台的投诉', no_complaints: '没有投诉。', complaint: '投诉', category: '类别', text: '投诉内容', filed: '提交时间',
    complaints_note: '投诉人写的内容只给系统管理员看；这里不显示投诉人是谁。暂停或移除平台请在“平台”页另行申请。',
    answer: '处理', resolution: '给投诉人的答复', action: '对平台采取的措施', save: '保存', saved: '已保存。',
    complaint_categories: { extra_plaintext: '核验后索要其他身份信息', refused_without_net_id: '因不用网号拒绝服务', kept_past_retention: '超期保存数据', other: '其他' },
    complaint_statuses: { received: '已收到', investigating: '处理中', upheld: '成立', dismissed: '不成立' },
    complaint_actions: { none: '无', warning: '警告', suspension: '申请暂停', removal: '申请移除' },
    acts_title: '需要第二人批准的操作', no_acts: '没有操作。', request: '请求', act: '操作', status: '状态', asked_by: '申请人', decided_by: '批准/拒绝人', expires: '到期',
    approve: '批准', refuse: '拒绝', carry_out: '执行', done: '完成。',
    operators_title: '运营人员账户', name: '姓名', role: '角色', added: '添加时间', retired: '停用时间',
    events_title: '安全事件', events_note: '安全事件以哈希链保存；用 netid operator security-events 核对整条链。', seq: '序号', at: '时间', kind: '类型', detail: '详情',
    no_events: '没有安全事件。',
    roles: { security_administrator: '安全管理员', system_administrator: '系统管理员', ca_officer: '认证机构操作员', data_protection_officer: '数据保护官', auditor: '审计员' },
    acts: { operator_read: '读取个人信息', add_operator: '添加运营人员', retire_operator: '停用运营人员', grant_decision: '批准平台字段', platform_status: '暂停、恢复或移除平台', ca_certify: '安装签发证书', ca_rollover: '签发密钥轮换', ca_handover: '移交认证机构', ca_inherit: '接管认证机构' },
    statuses: { pending: '等待批准', approved: '已批准', done: '已执行', refused: '已拒绝', expired: '已过期' },
    errors: {
      wrong_role: '您的角色不能做这件事。', same_operator: '申请人不能批准自己的申请，需要另一位同角色的运营人员。', not_requester: '只有申请人才能执行。',
      act_closed: '这个申请已不在可操作的状态。', unauthenticated: '密钥不属于任何在职的运营人员。', invalid_operator_proof: '请求签名无效，请检查本机时钟。',
      operator_proof_replayed: '请求被重放，请重试。', not_p256: '这个文件不是 P-256 PKCS#8 PEM 私钥；SM2 密钥请用命令行。', rate_limited: '请求太多，请稍后再试。',
      second_factor_required: '这项操作需要第二因素：请先点“用通行密钥确认”，确认在 15 分钟内有效。', no_second_factor: '这项操作需要第二因素，而您的账户还没有通行密钥：请向另一位安全管理员索取注册码并添加通行密钥。',
      passkey_enrollment_refused: '未能添加通行密钥：注册码不对、已用过或已过期，请向另一位安全管理员索取新的注册码。', passkey_refused: '通行密钥确认未通过，请重试。',
      not_party: '通行密钥属于控制台的网址 {url}：请用这个名字打开控制台（不能用 IP 地址）。',
    },
    failed: '出错了：',
    factor_title: '第二因素（通行密钥）', factor_none: '您的账户还没有通行密钥。', factor_count: '通行密钥数量：', factor_until: '确认有效至：', factor_expired: '尚未确认，或确认已过期。',
    factor_not_needed: '您的角色不需要第二因素。', enrollment_code: '注册码（由另一位安全管理员提供）', add_passkey: '添加通行密钥', confirm_passkey: '用通行密钥确认',
    passkey_added: '通行密钥已添加。', confirmed: '已确认，15 分钟内有效。',
  },
  en: {
    language: '中文', title: 'netid operator console',
    sign_in_title: 'Sign in', sign_in_text: 'Choose your own operator key file (P-256, PKCS#8 PEM, from netid operator keygen --suite intl). The key is used in this page\'s memory only, never sent or stored.',
    key_file: 'Operator key file', signed_in_as: 'Signed in as',
    nav_acts: 'Queue', nav_operators: 'Operators', nav_events: 'Security events', nav_platforms: 'Platforms',
    platforms_title: 'Platforms and their standing', no_platforms: 'No platforms yet.', platform: 'Platform', since: 'Since', reason: 'Reason', change: 'Change standing',
    new_status: 'New standing', reason_public: 'Reason (published in the platform\'s profile: no personal data)', ask: 'Ask',
    asked: 'Asked: {id}. Another system administrator approves it in the Queue; then you carry it out.',
    platform_statuses: { active: 'active', suspended: 'suspended', removed: 'removed' },
    nav_complaints: 'Complaints', complaints_title: 'Complaints about platforms', no_complaints: 'No complaints.', complaint: 'Complaint', category: 'Category', text: 'What the holder wrote', filed: 'Filed',
    complaints_note: 'The holder\'s words are for system administrators alone; who wrote them is not shown here. Ask for a suspension or removal on the Platforms page.',
    answer: 'Handle', resolution: 'Answer to the holder', action: 'Action about the platform', save: 'Save', saved: 'Saved.',
    complaint_categories: { extra_plaintext: 'Asked for more identity data', refused_without_net_id: 'Refused service without a Net ID', kept_past_retention: 'Kept data too long', other: 'Other' },
    complaint_statuses: { received: 'received', investigating: 'being looked into', upheld: 'upheld', dismissed: 'dismissed' },
    complaint_actions: { none: 'none', warning: 'warning', suspension: 'suspension asked for', removal: 'removal asked for' },
    acts_title: 'Acts that wait for a second operator', no_acts: 'No acts.', request: 'Request', act: 'Act', status: 'Status', asked_by: 'Asked by', decided_by: 'Decided by', expires: 'Expires',
    approve: 'Approve', refuse: 'Refuse', carry_out: 'Carry out', done: 'Done.',
    operators_title: 'Operator accounts', name: 'Name', role: 'Role', added: 'Added', retired: 'Retired',
    events_title: 'Security events', events_note: 'Security events are kept as a hash chain; check the whole chain with netid operator security-events.', seq: 'No.', at: 'Time', kind: 'Kind', detail: 'Detail',
    no_events: 'No security events.',
    roles: { security_administrator: 'Security administrator', system_administrator: 'System administrator', ca_officer: 'CA officer', data_protection_officer: 'Data-protection officer', auditor: 'Auditor' },
    acts: { operator_read: 'Read of personal data', add_operator: 'Add an operator', retire_operator: 'Retire an operator', grant_decision: 'Grant platform fields', platform_status: 'Suspend, reinstate or remove a platform', ca_certify: 'Install the issuing certificate', ca_rollover: 'Issuing-key rollover', ca_handover: 'Hand the CA over', ca_inherit: 'Take over a CA' },
    statuses: { pending: 'waiting for approval', approved: 'approved', done: 'carried out', refused: 'refused', expired: 'expired' },
    errors: {
      wrong_role: 'Your role may not do this.', same_operator: 'You asked for this act: another operator of the same role must approve it.', not_requester: 'Only the operator who asked may carry it out.',
      act_closed: 'This request is no longer open for that step.', unauthenticated: 'The key belongs to no active operator.', invalid_operator_proof: 'The request\'s signature was refused; check this computer\'s clock.',
      operator_proof_replayed: 'The request was replayed; try again.', not_p256: 'This file is not a P-256 PKCS#8 PEM private key; use an SM2 key from the command line.', rate_limited: 'Too many requests; try again shortly.',
      second_factor_required: 'This act needs your second factor: choose "Confirm with passkey" first; a confirmation holds 15 minutes.', no_second_factor: 'This act needs your second factor, and your account has no passkey: ask another security administrator for an enrollment code and add one.',
      passkey_enrollment_refused: 'The passkey was not added: the enrollment code is wrong, used or expired; ask another security administrator for a new one.', passkey_refused: 'The passkey confirmation did not pass; try again.',
      not_party: 'Passkeys belong to the console at {url}: open the console by that name (not an IP address).',
    },
    failed: 'Something went wrong: ',
    factor_title: 'Second factor (passkey)', factor_none: 'Your account has no passkey yet.', factor_count: 'Passkeys: ', factor_until: 'Confirmed until: ', factor_expired: 'Not confirmed, or the confirmation has lapsed.',
    factor_not_needed: 'Your role needs no second factor.', enrollment_code: 'Enrollment code (from another security administrator)', add_passkey: 'Add a passkey', confirm_passkey: 'Confirm with passkey',
    passkey_added: 'Passkey added.', confirmed: 'Confirmed for 15 minutes.',
  },
}

let lang = 'zh'
let signer = null
let current = 'acts'
const t = (key) => TEXT[lang][key]
const $ = (id) => document.getElementById(id)

function el(tag, text, attributes = {}) {
  const node = document.createElement(tag)
  if (text !== undefined && text !== null) node.textContent = String(text)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  return node
}

function status(text) {
  $('status').textContent = text
  delete $('status').dataset.code
  delete $('status').dataset.request
}

function translate() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
  document.title = t('title')
  $('language').textContent = t('language')
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t)
  if (signer) {
    $('operator-role').textContent = TEXT[lang].roles[signer.role] ?? signer.role
    run(showFactor)
    show(current)
  }
}

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
const utf8 = (text) => new TextEncoder().encode(text)

async function importKey(pem) {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '')
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0))
  const key = await crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign'])
  const jwk = await crypto.subtle.exportKey('jwk', key)
  return { key, jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } }
}

// The proof the service checks (netid_authn::jwt::check_operator_proof).
async function proof(method, path, body) {
  const header = { typ: 'netid-operator+jwt', jwk: signer.jwk, alg: 'ES256' }
  const jti = b64url(crypto.getRandomValues(new Uint8Array(16)))
  const bh = b64url(await crypto.subtle.digest('SHA-256', body))
  const claims = { htm: method, htu: path, iat: Math.floor(Date.now() / 1000), jti, bh }
  const input = `${b64url(utf8(JSON.stringify(header)))}.${b64url(utf8(JSON.stringify(claims)))}`
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer.key, utf8(input))
  return `${input}.${b64url(signature)}`
}

async function api(method, path, json) {
  const body = json === undefined ? new Uint8Array() : utf8(JSON.stringify(json))
  const headers = { authorization: `NetID-Operator ${await proof(method, path, body)}` }
  if (json !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(path, { method, headers, body: json === undefined ? undefined : body })
  const answer = await response.json().catch(() => ({}))
  if (!response.ok) {
    const error = new Error(TEXT[lang].errors[answer.code] ?? answer.detail ?? String(response.status))
    error.code = answer.code
    throw error
  }
  return answer
}

// A table that scrolls sideways on a narrow screen rather than breaking words apart.
function table(label, headings, rows) {
  const node = el('table')
  const head = el('tr')
  for (const heading of headings) head.append(el('th', heading, { scope: 'col' }))
  node.append(head)
  for (const row of rows) node.append(row)
  const region = el('div', null, { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': label })
  region.append(node)
  return region
}

const id = (text) => el('td', text ?? '', { class: 'id' })

const when = (seconds) => new Date(seconds * 1000).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB')

async function showActs(view) {
  view.append(el('h2', t('acts_title')))
  const { acts } = await api('GET', '/v1/operator/acts')
  if (acts.length === 0) { view.append(el('p', t('no_acts'))); return }
  const rows = acts.map((act) => {
    const row = el('tr', null, { 'data-request': act.request_id, 'data-status': act.status })
    row.append(id(act.request_id), el('td', TEXT[lang].acts[act.act] ?? act.act), el('td', TEXT[lang].statuses[act.status] ?? act.status),
      id(act.requested_by), id(act.decided_by), el('td', when(act.expires_at)))
    const actions = el('td', null, { class: 'actions' })
    const step = (name, label, style) => {
      const button = el('button', t(label), { type: 'button', class: style })
      button.addEventListener('click', () => run(async () => {
        const answer = await api('POST', `/v1/operator/acts/${act.request_id}/${name}`, {})
        status(t('done'))
        await show('acts', false)
        // The act's answer (a read's data, a new account's id) under the refreshed queue.
        if (name === 'carry-out') $('view').append(el('pre', JSON.stringify(answer, null, 2)))
      }))
      actions.append(button)
    }
    if (act.status === 'pending') { step('approve', 'approve', ''); step('refuse', 'refuse', 'secondary') }
    if (act.status === 'approved') step('carry-out', 'carry_out', '')
    row.append(actions)
    return row
  })
  view.append(table(t('acts_title'), [t('request'), t('act'), t('status'), t('asked_by'), t('decided_by'), t('expires'), ''], rows))
}

async function showOperators(view) {
  view.append(el('h2', t('operators_title')))
  const { operators } = await api('GET', '/v1/operator/operators')
  view.append(table(t('operators_title'), [t('name'), 'ID', t('role'), t('added'), t('retired')], operators.map((operator) => {
    const row = el('tr')
    row.append(el('td', operator.name), id(operator.operator_id), el('td', TEXT[lang].roles[operator.role] ?? operator.role),
      el('td', when(operator.added_at)), el('td', operator.retired_at ? when(operator.retired_at) : ''))
    return row
  })))
}

// Platforms and their standing; a system administrator asks to suspend, reinstate or remove
// one (a second approves in the queue).
async function showPlatforms(view) {
  view.append(el('h2', t('platforms_title')))
  const { platforms } = await api('GET', '/v1/operator/platforms')
  if (platforms.length === 0) { view.append(el('p', t('no_platforms'))); return }
  const statuses = TEXT[lang].platform_statuses
  view.append(table(t('platforms_title'), [t('platform'), 'ID', t('status'), t('since'), t('reason')], platforms.map((platform) => {
    const row = el('tr', null, { 'data-platform': platform.client_id, 'data-status': platform.standing.status })
    row.append(el('td', platform.name), id(platform.client_id), el('td', statuses[platform.standing.status] ?? platform.standing.status),
      el('td', platform.standing.since ? when(platform.standing.since) : ''), el('td', platform.standing.reason ?? ''))
    return row
  })))
  const open = platforms.filter((platform) => platform.standing.status !== 'removed')
  if (signer.role !== 'system_administrator' || open.length === 0) return
  const form = el('form', null, { id: 'platform-status' })
  const choose = el('select', null, { id: 'status-platform' })
  for (const platform of open) choose.append(el('option', `${platform.name} (${platform.client_id})`, { value: platform.client_id }))
  const standing = el('select', null, { id: 'status-new' })
  for (const value of ['suspended', 'active', 'removed']) standing.append(el('option', statuses[value], { value }))
  form.append(el('h3', t('change')), el('label', t('platform'), { for: 'status-platform' }), choose,
    el('label', t('new_status'), { for: 'status-new' }), standing,
    el('label', t('reason_public'), { for: 'status-reason' }), el('input', null, { id: 'status-reason', required: '', maxlength: '300' }),
    el('button', t('ask'), { type: 'submit' }))
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    run(async () => {
      const pending = await api('POST', '/v1/operator/platforms/status', { client_id: choose.value, status: standing.value, reason: $('status-reason').value })
      status(t('asked').replace('{id}', pending.request_id))
      $('status').dataset.request = pending.request_id
    })
  })
  view.append(form)
}

// Complaints about platforms: system administrators read the holders' words (never who they
// are) and record where each stands, the answer and the action.
async function showComplaints(view) {
  view.append(el('h2', t('complaints_title')), el('p', t('complaints_note'), { class: 'muted' }))
  const { complaints } = await api('GET', '/v1/operator/complaints')
  if (complaints.length === 0) { view.append(el('p', t('no_complaints'))); return }
  const text = TEXT[lang]
  view.append(table(t('complaints_title'), [t('complaint'), t('platform'), t('category'), t('text'), t('status'), t('filed'), t('resolution')], complaints.map((complaint) => {
    const row = el('tr', null, { 'data-complaint': complaint.reference, 'data-status': complaint.status })
    row.append(id(complaint.reference), id(complaint.client_id), el('td', text.complaint_categories[complaint.category] ?? complaint.category),
      el('td', complaint.text ?? ''), el('td', text.complaint_statuses[complaint.status] ?? complaint.status), el('td', when(complaint.filed_at)),
      el('td', complaint.resolution ?? ''))
    return row
  })))
  const open = complaints.filter((complaint) => complaint.status === 'received' || complaint.status === 'investigating')
  if (open.length === 0) return
  const select = (name, options) => {
    const node = el('select', null, { id: name })
    for (const [value, label] of options) node.append(el('option', label, { value }))
    return node
  }
  const which = select('complaint-reference', open.map((complaint) => [complaint.reference, complaint.reference]))
  const standing = select('complaint-status', ['investigating', 'upheld', 'dismissed'].map((value) => [value, text.complaint_statuses[value]]))
  const action = select('complaint-action', Object.entries(text.complaint_actions))
  const form = el('form', null, { id: 'handle-complaint' })
  form.append(el('h3', t('answer')), el('label', t('complaint'), { for: 'complaint-reference' }), which,
    el('label', t('status'), { for: 'complaint-status' }), standing,
    el('label', t('resolution'), { for: 'complaint-resolution' }), el('input', null, { id: 'complaint-resolution', required: '', maxlength: '1000' }),
    el('label', t('action'), { for: 'complaint-action' }), action, el('button', t('save'), { type: 'submit' }))
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    run(async () => {
      await api('POST', `/v1/operator/complaints/${which.value}`, { status: standing.value, resolution: $('complaint-resolution').value, action: action.value })
      await show('complaints', false)
      status(t('saved'))
    })
  })
  view.append(form)
}

async function showEvents(view) {
  view.append(el('h2', t('events_title')), el('p', t('events_note'), { class: 'muted' }))
  const { events } = await api('GET', '/v1/operator/security-events?after=0')
  if (events.length === 0) { view.append(el('p', t('no_events'))); return }
  view.append(table(t('events_title'), [t('seq'), t('at'), t('kind'), t('detail')], events.slice().reverse().map((event) => {
    const row = el('tr', null, { 'data-kind': event.kind })
    row.append(el('td', event.seq), el('td', when(event.at)), el('td', event.kind), id(event.detail))
    return row
  })))
}

const b64decode = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))

// The second factor: the account's passkeys and until when the last confirmation holds.
async function showFactor() {
  const me = await api('GET', '/v1/operator/me')
  const panel = $('factor')
  const lines = [el('h2', t('factor_title'))]
  if (me.role === 'auditor') lines.push(el('p', t('factor_not_needed'), { class: 'muted' }))
  lines.push(el('p', me.passkeys === 0 ? t('factor_none') : t('factor_count') + me.passkeys))
  if (me.passkeys > 0) {
    const now = Date.now() / 1000
    lines.push(el('p', me.verified_until > now ? t('factor_until') + when(me.verified_until) : t('factor_expired'), { id: 'factor-state', 'data-confirmed': String(me.verified_until > now) }))
    const button = el('button', t('confirm_passkey'), { type: 'button', id: 'confirm-passkey' })
    button.addEventListener('click', () => run(confirmPasskey))
    lines.push(button)
  }
  if (me.role !== 'auditor') {
    const form = el('form', null, { id: 'add-passkey' })
    form.append(el('label', t('enrollment_code'), { for: 'enrollment-code' }), el('input', null, { id: 'enrollment-code', autocomplete: 'off', required: '' }))
    form.append(el('button', t('add_passkey'), { type: 'submit', class: me.passkeys === 0 ? '' : 'secondary' }))
    form.addEventListener('submit', (event) => { event.preventDefault(); run(addPasskey) })
    lines.push(form)
  }
  panel.replaceChildren(...lines)
}

// Passkeys belong to the console's URL as the service names it, never an IP address.
function needParty(rpId) {
  if (location.hostname !== rpId) throw new Error(t('errors').not_party.replace('{url}', rpId))
}

async function addPasskey() {
  const code = $('enrollment-code')?.value.trim()
  const { challenge, rp_id, user_id, passkeys } = await api('POST', '/v1/operator/me/passkeys/challenge', {})
  needParty(rp_id)
  const credential = await navigator.credentials.create({
    publicKey: {
      challenge: b64decode(challenge),
      rp: { id: rp_id, name: 'netid console' },
      user: { id: utf8(user_id), name: user_id, displayName: user_id },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      excludeCredentials: passkeys.map((id) => ({ type: 'public-key', id: b64decode(id) })),
      authenticatorSelection: { userVerification: 'required' },
      attestation: 'none',
    },
  })
  const body = {
    credential_id: b64url(credential.rawId),
    client_data_json: b64url(credential.response.clientDataJSON),
    authenticator_data: b64url(credential.response.getAuthenticatorData()),
    public_key: b64url(credential.response.getPublicKey()),
    public_key_algorithm: credential.response.getPublicKeyAlgorithm(),
  }
  if (code) body.enrollment_code = code
  await api('POST', '/v1/operator/me/passkeys', body)
  await showFactor()
  status(t('passkey_added'))
}

async function confirmPasskey() {
  const { challenge, rp_id, passkeys } = await api('POST', '/v1/operator/me/passkeys/challenge', {})
  needParty(rp_id)
  const credential = await navigator.credentials.get({
    publicKey: {
      challenge: b64decode(challenge), rpId: rp_id, userVerification: 'required',
      allowCredentials: passkeys.map((id) => ({ type: 'public-key', id: b64decode(id) })),
    },
  })
  await api('POST', '/v1/operator/me/confirm', {
    credential_id: b64url(credential.rawId),
    client_data_json: b64url(credential.response.clientDataJSON),
    authenticator_data: b64url(credential.response.authenticatorData),
    signature: b64url(credential.response.signature),
  })
  await showFactor()
  status(t('confirmed'))
}

// Which view was asked for last: a slower view asked for before it must not replace it.
let shown = 0

async function show(view, clearStatus = true) {
  current = view
  const asked = ++shown
  if (clearStatus) status('')
  const section = $('view')
  const fresh = el('section')
  try {
    await { acts: showActs, operators: showOperators, events: showEvents, platforms: showPlatforms, complaints: showComplaints }[view](fresh)
  } catch (error) {
    fresh.append(el('p', error.message, { class: 'bad', 'data-code': error.code ?? '' }))
  }
  if (asked === shown) section.replaceChildren(fresh)
}

async function run(step) {
  try {
    await step()
  } catch (error) {
    status(t('failed') + error.message)
    $('status').dataset.code = error.code ?? ''
  }
}

$('language').addEventListener('click', () => { lang = lang === 'zh' ? 'en' : 'zh'; translate() })
$('key-file').addEventListener('change', (event) => run(async () => {
  const file = event.target.files[0]
  if (!file) return
  try {
    signer = await importKey(await file.text())
  } catch {
    signer = null
    throw new Error(t('errors').not_p256)
  }
  const me = await api('GET', '/v1/operator/me').catch((error) => { signer = null; throw error })
  signer.role = me.role
  $('operator-id').textContent = me.operator_id
  $('sign-in').hidden = true
  $('signed-in').hidden = false
  translate()
}))
for (const button of document.querySelectorAll('[data-view]')) {
  button.addEventListener('click', () => run(() => show(button.dataset.view)))
}
translate()
