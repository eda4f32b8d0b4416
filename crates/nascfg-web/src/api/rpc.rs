//! JSON-RPC 2.0 frames as TrueNAS's middleware reads and writes them: the
//! request check, the answer, and the error layout (`data` with `error`,
//! `errname`, `reason`, `trace`, `extra`).

use serde_json::{Map, Value, json};

/// `errno` values TrueNAS puts in `data.error` (Linux numbering, and the
/// middleware's own 207 for "not authenticated").
pub(crate) mod errno {
    pub(crate) const ENOENT: i64 = 2;
    pub(crate) const EACCES: i64 = 13;
    pub(crate) const EFAULT: i64 = 14;
    pub(crate) const EEXIST: i64 = 17;
    pub(crate) const EINVAL: i64 = 22;
    pub(crate) const ENOTAUTHENTICATED: i64 = 207;

    /// The symbolic name TrueNAS sends beside the number.
    pub(crate) fn name(errno: i64) -> &'static str {
        match errno {
            ENOENT => "ENOENT",
            EACCES => "EACCES",
            EFAULT => "EFAULT",
            EEXIST => "EEXIST",
            EINVAL => "EINVAL",
            ENOTAUTHENTICATED => "ENOTAUTHENTICATED",
            _ => "EUNKNOWN",
        }
    }
}

/// JSON-RPC's codes and TrueNAS's two of its own.
pub(crate) mod code {
    pub(crate) const PARSE_ERROR: i64 = -32700;
    pub(crate) const INVALID_REQUEST: i64 = -32600;
    pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
    pub(crate) const INVALID_PARAMS: i64 = -32602;
    pub(crate) const CALL_ERROR: i64 = -32001;
}

/// One `[attribute, message, errno]` of a validation error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// `cloud_sync_credentials_create.provider.access_key_id`; `None`: the call as a whole.
    pub(crate) attribute: Option<String>,
    pub(crate) message: String,
    pub(crate) errno: i64,
}

impl Problem {
    pub(crate) fn new(attribute: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            attribute: Some(attribute.into()),
            message: message.into(),
            errno: errno::EINVAL,
        }
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RpcError {
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
}

impl RpcError {
    /// Not JSON, or JSON nested deeper than the parser takes (no `data`, as TrueNAS).
    pub(crate) fn parse(reason: impl Into<String>) -> RpcError {
        RpcError {
            code: code::PARSE_ERROR,
            message: reason.into(),
            data: None,
        }
    }

    /// JSON that is not a JSON-RPC 2.0 request.
    pub(crate) fn invalid_request(reason: impl Into<String>) -> RpcError {
        RpcError {
            code: code::INVALID_REQUEST,
            message: reason.into(),
            data: None,
        }
    }

    pub(crate) fn method_not_found() -> RpcError {
        RpcError {
            code: code::METHOD_NOT_FOUND,
            message: "Method does not exist".into(),
            data: None,
        }
    }

    /// Every problem at once, as TrueNAS's `ValidationErrors`.
    pub(crate) fn validation(problems: Vec<Problem>) -> RpcError {
        let reason: String = problems
            .iter()
            .map(|p| {
                format!(
                    "[{}] {}: {}\n",
                    errno::name(p.errno),
                    p.attribute.as_deref().unwrap_or("None"),
                    p.message
                )
            })
            .collect();
        let extra: Vec<Value> = problems
            .iter()
            .map(|p| json!([p.attribute, p.message, p.errno]))
            .collect();
        RpcError {
            code: code::INVALID_PARAMS,
            message: "Invalid params".into(),
            data: Some(truenas_error(errno::EINVAL, &reason, Some(extra))),
        }
    }

    /// One problem.
    pub(crate) fn invalid(attribute: impl Into<String>, message: impl Into<String>) -> RpcError {
        RpcError::validation(vec![Problem::new(attribute, message)])
    }

    /// A method's failure (TrueNAS's `CallError`): the reason reads `[ENAME] message`.
    pub(crate) fn call(errno: i64, message: &str) -> RpcError {
        let reason = format!("[{}] {message}", errno::name(errno));
        RpcError {
            code: code::CALL_ERROR,
            message: "Method call error".into(),
            data: Some(truenas_error(errno, &reason, None)),
        }
    }

    pub(crate) fn not_authenticated() -> RpcError {
        RpcError::call(errno::ENOTAUTHENTICATED, "Not authenticated")
    }

    pub(crate) fn not_authorized() -> RpcError {
        RpcError::call(errno::EACCES, "Not authorized")
    }

    /// The record `id` does not exist (TrueNAS's `InstanceNotFound`, a validation error).
    pub(crate) fn instance_not_found(id: i64) -> RpcError {
        RpcError::validation(vec![Problem {
            attribute: None,
            message: format!("Cloud Credential {id} does not exist"),
            errno: errno::ENOENT,
        }])
    }

    /// The errname of `data`, for the audit log.
    pub(crate) fn errname(&self) -> String {
        self.data
            .as_ref()
            .and_then(|d| d.get("errname"))
            .and_then(Value::as_str)
            .map_or_else(|| self.code.to_string(), str::to_owned)
    }
}

fn truenas_error(errno: i64, reason: &str, extra: Option<Vec<Value>>) -> Value {
    json!({
        "error": errno,
        "errname": errno::name(errno),
        "reason": reason,
        "trace": null,
        "extra": extra,
    })
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    /// `null`, a number or a string, echoed in the answer.
    pub(crate) id: Value,
    pub(crate) method: String,
    pub(crate) params: Vec<Value>,
}

/// Reads one text frame. serde_json refuses nesting deeper than 128 levels
/// (its recursion limit) with an error, so no input can exhaust the stack.
/// The error answers carry `id` `null`, as TrueNAS's do.
pub(crate) fn parse_request(text: &str) -> Result<Request, RpcError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        // serde's message quotes no input, only a category and position.
        RpcError::parse(format!("not valid JSON: {e}"))
    })?;
    let Value::Object(mut doc) = value else {
        return Err(RpcError::invalid_request("a request must be a JSON object"));
    };
    if let Some(key) = doc
        .keys()
        .find(|k| !matches!(k.as_str(), "jsonrpc" | "method" | "params" | "id"))
    {
        return Err(RpcError::invalid_request(format!(
            "additional properties are not allowed ({} was unexpected)",
            crate::api::shown(key)
        )));
    }
    if doc.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return Err(RpcError::invalid_request("\"jsonrpc\" must be \"2.0\""));
    }
    let id = match doc.remove("id") {
        None => Value::Null,
        Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => id,
        Some(_) => {
            return Err(RpcError::invalid_request(
                "\"id\" must be null, a number or a string",
            ));
        }
    };
    let method = match doc.remove("method") {
        Some(Value::String(m)) => m,
        Some(_) => return Err(RpcError::invalid_request("\"method\" must be a string")),
        None => {
            return Err(RpcError::invalid_request(
                "\"method\" is a required property",
            ));
        }
    };
    let params = match doc.remove("params") {
        None => Vec::new(),
        Some(Value::Array(p)) => p,
        Some(_) => return Err(RpcError::invalid_request("\"params\" must be an array")),
    };
    Ok(Request { id, method, params })
}

/// The answer frame to a call.
/// A call's result: a JSON value, or the text of one already written (a
/// query's records, written on two threads when there are many).
#[derive(Debug)]
pub(crate) enum Reply {
    Value(Value),
    Text(String),
}

impl From<Value> for Reply {
    fn from(value: Value) -> Reply {
        Reply::Value(value)
    }
}

/// The answer frame, `{"jsonrpc", "result" or "error", "id"}` in that order.
pub(crate) fn answer(id: &Value, outcome: Result<Reply, RpcError>) -> String {
    let mut frame = Map::new();
    frame.insert("jsonrpc".into(), Value::String("2.0".into()));
    match outcome {
        Ok(Reply::Text(text)) => {
            let id = id.to_string();
            let mut out = String::with_capacity(text.len() + id.len() + 32);
            out.push_str(r#"{"jsonrpc":"2.0","result":"#);
            out.push_str(&text);
            out.push_str(r#","id":"#);
            out.push_str(&id);
            out.push('}');
            return out;
        }
        Ok(Reply::Value(result)) => {
            frame.insert("result".into(), result);
        }
        Err(e) => {
            let mut error = Map::new();
            error.insert("code".into(), Value::from(e.code));
            error.insert("message".into(), Value::String(e.message));
            if let Some(data) = e.data {
                error.insert("data".into(), data);
            }
            frame.insert("error".into(), Value::Object(error));
        }
    }
    frame.insert("id".into(), id.clone());
    Value::Object(frame).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<(&str, usize), i64>) {
        match (parse_request(text), expected) {
            (Ok(r), Ok((method, params))) => {
                assert_eq!(
                    (r.method.as_str(), r.params.len()),
                    (method, params),
                    "{text}"
                )
            }
            (Err(e), Err(code)) => assert_eq!(e.code, code, "{text}"),
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn requests() {
        check(
            r#"{"jsonrpc":"2.0","id":1,"method":"core.ping"}"#,
            Ok(("core.ping", 0)),
        );
        check(
            r#"{"jsonrpc":"2.0","id":"a","method":"m","params":[1,[2]]}"#,
            Ok(("m", 2)),
        );
        check(
            r#"{"jsonrpc":"2.0","method":"m","params":[]}"#,
            Ok(("m", 0)),
        );
        check("", Err(code::PARSE_ERROR));
        check("{", Err(code::PARSE_ERROR));
        check(&"[".repeat(200), Err(code::PARSE_ERROR));
        check(
            &format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)),
            Err(code::PARSE_ERROR),
        );
        check("[]", Err(code::INVALID_REQUEST));
        check(
            r#"{"jsonrpc":"1.0","method":"m"}"#,
            Err(code::INVALID_REQUEST),
        );
        check(r#"{"jsonrpc":"2.0"}"#, Err(code::INVALID_REQUEST));
        check(
            r#"{"jsonrpc":"2.0","method":1}"#,
            Err(code::INVALID_REQUEST),
        );
        check(
            r#"{"jsonrpc":"2.0","method":"m","params":{}}"#,
            Err(code::INVALID_REQUEST),
        );
        check(
            r#"{"jsonrpc":"2.0","method":"m","id":[1]}"#,
            Err(code::INVALID_REQUEST),
        );
        check(
            r#"{"jsonrpc":"2.0","method":"m","x":1}"#,
            Err(code::INVALID_REQUEST),
        );
    }

    #[test]
    fn error_layout() {
        let e = RpcError::validation(vec![
            Problem::new("c.name", "field required"),
            Problem {
                attribute: None,
                message: "gone".into(),
                errno: errno::ENOENT,
            },
        ]);
        let frame: Value = serde_json::from_str(&answer(&json!(7), Err(e))).unwrap();
        let result = json!([{"id": 1, "name": "n\u{1b}"}]);
        assert_eq!(
            answer(&json!("x"), Ok(Reply::Text(result.to_string()))),
            answer(&json!("x"), Ok(Reply::Value(result))),
            "a result written as text makes the same frame"
        );
        assert_eq!(
            frame,
            json!({"jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "Invalid params", "data": {
                "error": 22, "errname": "EINVAL",
                "reason": "[EINVAL] c.name: field required\n[ENOENT] None: gone\n",
                "trace": null,
                "extra": [["c.name", "field required", 22], [null, "gone", 2]]}}})
        );
        let frame: Value =
            serde_json::from_str(&answer(&json!("x"), Err(RpcError::not_authorized()))).unwrap();
        assert_eq!(frame["error"]["code"], -32001);
        assert_eq!(frame["error"]["data"]["reason"], "[EACCES] Not authorized");
    }
}
