//! Turning wire names and titles into Rust names.

/// Splits a name into lower-case words: `deviceURL` → `device url`,
/// `Z-Wave protocol` → `z wave protocol`, `subType` → `sub type`, `1way` → `1way`.
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().map(transliterate).collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        // An acronym ends before an upper-case letter followed by lower case
        // (`URLValue` → `url value`), except a plural `s` (`setupOIDs` → `setup oids`).
        let after_next = chars.get(i + 2).copied();
        let plural_s = next == Some('s') && !after_next.is_some_and(|a| a.is_ascii_lowercase());
        let boundary = c.is_ascii_uppercase()
            && !current.is_empty()
            && (prev.is_some_and(|p| p.is_ascii_lowercase())
                || (prev.is_some_and(|p| p.is_ascii_uppercase())
                    && next.is_some_and(|n| n.is_ascii_lowercase())
                    && !plural_s));
        if boundary {
            words.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Accented Latin letters become their plain letter; anything else outside ASCII
/// becomes a separator.
fn transliterate(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'A',
        'ç' => 'c',
        'Ç' => 'C',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'È' | 'É' | 'Ê' | 'Ë' => 'E',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => 'O',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
        c if c.is_ascii() => c,
        _ => ' ',
    }
}

/// `deviceURL` → `device_url`.
pub fn snake(name: &str) -> String {
    words(name).join("_")
}

/// `device url` → `DeviceUrl`.
pub fn pascal(name: &str) -> String {
    words(name).iter().map(|w| capitalize(w)).collect()
}

/// `deviceURL` → `DEVICE_URL`.
pub fn shouty(name: &str) -> String {
    snake(name).to_ascii_uppercase()
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// English singular of a (camelCase) field name's last word, for naming the element
/// type of a list: `subPlaces` → `subPlace`, `entries` → `entry`, `status` stays.
pub fn singular(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let keep = [
        "status", "address", "class", "access", "process", "alias", "series", "news", "settings",
        "details", "data", "meta", "info",
    ];
    if keep.iter().any(|k| lower.ends_with(k)) {
        return name.to_owned();
    }
    if let Some(stem) = name.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "ches", "shes"] {
        if lower.ends_with(suffix) {
            return name[..name.len() - 2].to_owned();
        }
    }
    if let Some(stem) = name.strip_suffix('s') {
        if !stem.ends_with('s') && !stem.is_empty() {
            return stem.to_owned();
        }
    }
    name.to_owned()
}

/// Rust keywords that cannot be plain identifiers.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
    "move", "mut", "priv", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
    "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where",
    "while", "yield", "abstract", "become", "do", "final", "macro", "override",
];

/// An identifier for a snake-case name: keywords are escaped as raw identifiers
/// (`r#type`), names starting with a digit get a leading underscore.
pub fn ident_text(snake_name: &str) -> String {
    if snake_name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{snake_name}")
    } else if matches!(snake_name, "self" | "Self" | "super" | "crate") {
        format!("{snake_name}_")
    } else if KEYWORDS.contains(&snake_name) {
        format!("r#{snake_name}")
    } else {
        snake_name.to_owned()
    }
}

/// A type or variant name that is a valid identifier.
pub fn type_ident_text(pascal_name: &str) -> String {
    if pascal_name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("N{pascal_name}")
    } else if pascal_name == "Self" {
        "Self_".to_owned()
    } else {
        pascal_name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_camel_case_and_acronyms() {
        assert_eq!(snake("deviceURL"), "device_url");
        assert_eq!(snake("placeOID"), "place_oid");
        assert_eq!(snake("actionGroupOID"), "action_group_oid");
        assert_eq!(snake("Z-Wave protocol"), "z_wave_protocol");
        assert_eq!(snake("Login & Session"), "login_session");
        assert_eq!(snake("1way"), "1way");
        assert_eq!(snake("setupOIDs"), "setup_oids");
        assert_eq!(snake("URLs"), "urls");
        assert_eq!(snake("URLValue"), "url_value");
        assert_eq!(snake("_delete"), "delete");
        assert_eq!(pascal("NO_DELAY"), "NoDelay");
        assert_eq!(pascal("Bosnia and Herzegovina"), "BosniaAndHerzegovina");
        assert_eq!(pascal("Taïwan"), "Taiwan");
        assert_eq!(
            pascal("genericStateRegulationTrigger"),
            "GenericStateRegulationTrigger"
        );
        assert_eq!(
            shouty("/setup/devices/{deviceURL}"),
            "SETUP_DEVICES_DEVICE_URL"
        );
    }

    #[test]
    fn singulars() {
        assert_eq!(singular("subPlaces"), "subPlace");
        assert_eq!(singular("entries"), "entry");
        assert_eq!(singular("status"), "status");
        assert_eq!(singular("addresses"), "address");
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("devicesURL"), "devicesURL");
        assert_eq!(singular("settings"), "settings");
    }

    #[test]
    fn identifiers() {
        assert_eq!(ident_text("type"), "r#type");
        assert_eq!(ident_text("self"), "self_");
        assert_eq!(ident_text("1way"), "_1way");
        assert_eq!(type_ident_text("1Way"), "N1Way");
    }
}
