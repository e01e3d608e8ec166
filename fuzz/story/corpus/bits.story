bits 4
table
2001:db8::1 a
2001:db8::2 b
table
2001:db8::3 c
# comment
2001:db8::4 \x41
