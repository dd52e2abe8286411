//! `netid doc validate`.

use crate::netid;

#[test]
fn doc_validate_answers_each_line_in_order_and_exits_0() {
    let input = b"11010519491231002X\n11010519491231003X\n\nG12345678\n";
    let output = netid(&["doc", "validate", "--type", "resident-id"], input);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "valid\ninvalid: check character should be 8; check the number for a typo\n\
         invalid: document number is empty\ninvalid: document number should be 18 characters long, not 9\n"
    );
    let output = netid(
        &["doc", "validate", "--type", "passport"],
        b"G12345678\nE1234567\n",
    );
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "valid\ninvalid: document number should be 9 characters long, not 8\n"
    );
}

#[test]
fn doc_validate_streams_many_lines() {
    let lines = 200_000;
    let mut input = Vec::with_capacity(lines * 19);
    for index in 0..lines {
        input.extend_from_slice(if index % 2 == 0 {
            b"11010519491231002X\n"
        } else {
            b"11010519491231003X\n"
        });
    }
    let output = netid(&["doc", "validate", "--type", "resident-id"], &input);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text.lines().count(), lines);
    assert!(text.lines().step_by(2).all(|line| line == "valid"));
}

#[test]
fn doc_validate_with_an_unknown_type_is_a_usage_error() {
    let output = netid(&["doc", "validate", "--type", "id-card"], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("unknown document type"), "{stderr}");
}
