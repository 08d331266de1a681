//! `-help` text in Core's layout: a title per category, then each option indented two
//! spaces with its help text wrapped at 79 columns and indented seven.

use super::{ArgFlags, ArgsManager, OptionsCategory};
use crate::strutil::format_paragraph;

const SCREEN_WIDTH: usize = 79;
const OPT_INDENT: usize = 2;
const MSG_INDENT: usize = 7;

/// A category title followed by a blank line (Core's `HelpMessageGroup`).
pub fn help_message_group(title: &str) -> String {
    format!("{title}\n\n")
}

/// One option's help entry (Core's `HelpMessageOpt`): `  -name=<param>` on its own
/// line, the wrapped text below, then a blank line. `subopt` indents one level more
/// (options of a command).
pub fn help_message_opt(option: &str, help_param: &str, message: &str, subopt: bool) -> String {
    let bump = if subopt { MSG_INDENT - OPT_INDENT } else { 0 };
    let opt_indent = OPT_INDENT + bump;
    let msg_indent = MSG_INDENT + bump;
    format!(
        "{:opt_indent$}{option}{help_param}\n{:msg_indent$}{}\n\n",
        "",
        "",
        format_paragraph(message, SCREEN_WIDTH - msg_indent, msg_indent)
    )
}

impl ArgsManager {
    /// The option list for `-help` (Core's `GetHelpMessage`); the caller prints its
    /// usage header first. Options are sorted by name within each category;
    /// `DEBUG_ONLY` options (and wallet debug options) appear only with `-help-debug`.
    pub fn get_help_message(&self) -> String {
        let show_debug = self.get_bool_arg("-help-debug", false);
        let inner = self.lock();
        let mut usage = String::new();
        let command_options = inner.available.get(&OptionsCategory::CommandOptions);
        for (category, args) in &inner.available {
            match category {
                OptionsCategory::CommandOptions => continue,
                OptionsCategory::Hidden => break,
                OptionsCategory::WalletDebugTest if !show_debug => {}
                c => {
                    if let Some(title) = c.title() {
                        usage.push_str(&help_message_group(title));
                    }
                }
            }
            for (name, arg) in args {
                if !show_debug && arg.flags.contains(ArgFlags::DEBUG_ONLY) {
                    continue;
                }
                usage.push_str(&help_message_opt(
                    name,
                    &arg.help_param,
                    &arg.help_text,
                    false,
                ));
                if *category != OptionsCategory::Commands {
                    continue;
                }
                let (Some(selected), Some(opts)) = (inner.command_args.get(name), command_options)
                else {
                    continue;
                };
                for (opt_name, opt) in opts {
                    if (!show_debug && opt.flags.contains(ArgFlags::DEBUG_ONLY))
                        || !selected.contains(opt_name)
                    {
                        continue;
                    }
                    usage.push_str(&help_message_opt(
                        opt_name,
                        &opt.help_param,
                        &opt.help_text,
                        true,
                    ));
                }
            }
        }
        usage
    }
}
