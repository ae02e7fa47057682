#ifndef RANK1_NCURSES_SHIM_H
#define RANK1_NCURSES_SHIM_H
// SwiftPM drops pkg-config's -D_XOPEN_SOURCE, without which the wide-character API is not declared.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <wchar.h>
#include <curses.h>

// Macros and globals wrapped as functions (Swift cannot import them, or Swift 6 rejects the globals).
static inline WINDOW *r1_stdscr(void) { return stdscr; }
static inline int r1_lines(void) { return LINES; }
static inline int r1_cols(void) { return COLS; }
static inline int r1_colors(void) { return COLORS; }
static inline attr_t r1_a_bold(void) { return A_BOLD; }
static inline attr_t r1_a_reverse(void) { return A_REVERSE; }
static inline attr_t r1_a_underline(void) { return A_UNDERLINE; }
static inline attr_t r1_a_dim(void) { return A_DIM; }
static inline attr_t r1_color_pair(int n) { return COLOR_PAIR(n); }

#endif
